# star_error.png
# command: dtpinn study --quick --source-dir /work/main
# machine: cpu-2core-amd-epyc (AMD EPYC, 2 logical CPUs), date 2026-11-23 02:19:41 UTC, commit fccd7f9-dirty (uncommitted changes)
set terminal png size 960,640
set output 'star_error.png'
set title "star: best test relative l2 error vs N"
set grid
set key outside right
set bmargin 5
set label 99 "cpu-2core-amd-epyc | 2026-11-23 02:19:41 UTC | AMD EPYC, 2 logical CPUs | commit fccd7f9-dirty (uncommitted changes)" at screen 0.01,0.015 font ',8'
set logscale x
set xrange [*:*]
set offsets graph 0.05, graph 0.05, 0, 0
set xlabel 'N (interior + boundary nodes)'
set ylabel 'best test rel. l2 error'
set logscale y
set format y '%.0e'
plot 'star_error.dat' index 0 using 1:2:3:4 with yerrorlines lw 2 title 'DT-PINN fp64 p=4', 'star_error.dat' index 1 using 1:2:3:4 with yerrorlines lw 2 title 'vanilla fp32'
