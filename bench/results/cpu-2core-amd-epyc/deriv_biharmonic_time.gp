# deriv_biharmonic_time.png
# command: dtpinn study --quick --source-dir /work/main
# machine: cpu-2core-amd-epyc (AMD EPYC, 2 logical CPUs), date 2026-11-23 02:19:41 UTC, commit fccd7f9-dirty (uncommitted changes)
set terminal png size 960,640
set output 'deriv_biharmonic_time.png'
set title "biharmonic: time per application, N = 1672"
set grid
set key outside right
set bmargin 5
set label 99 "cpu-2core-amd-epyc | 2026-11-23 02:19:41 UTC | AMD EPYC, 2 logical CPUs | commit fccd7f9-dirty (uncommitted changes)" at screen 0.01,0.015 font ',8'
set xlabel 'depth (hidden layers)'
set ylabel 'milliseconds'
set logscale y
set offsets 0.3, 0.3, 0, 0
plot 'deriv_biharmonic_time.dat' index 0 using 1:2 with linespoints lw 2 title 'RBF-FD p=2', 'deriv_biharmonic_time.dat' index 1 using 1:2 with linespoints lw 2 title 'RBF-FD p=3', 'deriv_biharmonic_time.dat' index 2 using 1:2 with linespoints lw 2 title 'RBF-FD p=4', 'deriv_biharmonic_time.dat' index 3 using 1:2 with linespoints lw 2 title 'autograd fp32', 'deriv_biharmonic_time.dat' index 4 using 1:2 with linespoints lw 2 title 'autograd fp64', 'deriv_biharmonic_time.dat' index 5 using 1:2 with linespoints lw 2 title 'forward fp64 (all nodes)'
