# deriv_biharmonic_error.png
# command: dtpinn study --quick --source-dir /work/main
# machine: cpu-2core-amd-epyc (AMD EPYC, 2 logical CPUs), date 2026-11-23 02:19:41 UTC, commit fccd7f9-dirty (uncommitted changes)
set terminal png size 960,640
set output 'deriv_biharmonic_error.png'
set title "biharmonic of a random tanh MLP: rel. error vs fp64 autograd, N = 1672"
set grid
set key outside right
set bmargin 5
set label 99 "cpu-2core-amd-epyc | 2026-11-23 02:19:41 UTC | AMD EPYC, 2 logical CPUs | commit fccd7f9-dirty (uncommitted changes)" at screen 0.01,0.015 font ',8'
set xlabel 'depth (hidden layers)'
set ylabel 'relative l2 error'
set logscale y
set format y '%.0e'
set offsets 0.3, 0.3, 0, 0
plot 'deriv_biharmonic_error.dat' index 0 using 1:2:3:4 with yerrorlines lw 2 title 'RBF-FD p=2', 'deriv_biharmonic_error.dat' index 1 using 1:2:3:4 with yerrorlines lw 2 title 'RBF-FD p=3', 'deriv_biharmonic_error.dat' index 2 using 1:2:3:4 with yerrorlines lw 2 title 'RBF-FD p=4', 'deriv_biharmonic_error.dat' index 3 using 1:2:3:4 with yerrorlines lw 2 title 'autograd fp32'
