# 3d_speedup.png
# command: dtpinn study --quick --source-dir /work/main
# machine: cpu-2core-amd-epyc (AMD EPYC, 2 logical CPUs), date 2026-11-23 02:19:41 UTC, commit fccd7f9-dirty (uncommitted changes)
set terminal png size 960,640
set output '3d_speedup.png'
set title "3d: speed-up of DT-PINN over vanilla fp32 at equal error"
set grid
set key outside right
set bmargin 5
set label 99 "cpu-2core-amd-epyc | 2026-11-23 02:19:41 UTC | AMD EPYC, 2 logical CPUs | commit fccd7f9-dirty (uncommitted changes)" at screen 0.01,0.015 font ',8'
set logscale x
set xrange [*:*]
set offsets graph 0.05, graph 0.05, 0, 0
set xlabel 'N (interior + boundary nodes)'
set ylabel 't(vanilla, e*) / t(DT-PINN, e*)'
set yrange [0:*]
plot '3d_speedup.dat' index 0 using 1:2:3:4 with yerrorlines lw 2 title 'p=3', 1 with lines dt 2 lc 'black' title 'parity'
