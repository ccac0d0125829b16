# calloc-ns.gp - a size sweep (calloc-sweep and any workload whose points
# sweep params.size): time per operation against block size, log-log.
#
# Drawn by `bench plot`; the first lines of each .dat give the command that
# redraws it, so restyle here and rerun that command.
#
# datafile: blocks separated by two blank lines, each opening with its quoted
# title (the legend entry):
#   blocks 0 .. nseries-1        one per allocator (and host):
#                                size_bytes  ns_median  ns_ci95_lo  ns_ci95_hi
#   the next nref blocks         memset of the same size, from the calibration
#                                of each host: size_bytes  memset_ns
#   the next nflag blocks        flagged points, one block per flag kind:
#                                size_bytes  ns_median
# Variables: datafile; out (writes out.png and out.svg); title, subtitle;
# nseries, nref, nflag; lts, dts (line type and dash type of each series, as
# words); fpts, fcols (point type and colour of each flag block, as words);
# xmin, xmax (smallest and largest size); y_label (the y axis: the metric
# ns_per_op as doc/metrics.def tells it); w, h (pixels).

if (!exists("w")) w = 1000
if (!exists("h")) h = 650
if (!exists("subtitle")) subtitle = ""
if (!exists("y_label")) y_label = "wall time per op (median, bars: 95% CI; log scale)"
set datafile missing "?"

# the k-th word of a list variable (gnuplot evaluates a clause's options even
# when its iteration is empty: an empty list must still give a value)
lt_(k) = k <= words(lts) ? int(word(lts, k)) : 1
dt_(k) = k <= words(dts) ? int(word(dts, k)) : 1
fpt(k) = k <= words(fpts) ? int(word(fpts, k)) : 6
fcol(k) = k <= words(fcols) ? word(fcols, k) : "#000000"

# 4096 -> "4 KiB"
sz(x) = x >= 2**30 ? sprintf("%g GiB", x / 2.0**30) : \
        x >= 2**20 ? sprintf("%g MiB", x / 2.0**20) : \
        x >= 2**10 ? sprintf("%g KiB", x / 2.0**10) : sprintf("%g B", x)
# 1500 -> "1.5 µs"
tm(y) = y >= 1e9 ? sprintf("%g s", y / 1e9) : \
        y >= 1e6 ? sprintf("%g ms", y / 1e6) : \
        y >= 1e3 ? sprintf("%g µs", y / 1e3) : sprintf("%g ns", y)

do for [fmt in "png svg"] {
        if (fmt eq "png") {
                set terminal pngcairo size w, h font "Sans,10" noenhanced background rgb "white"
        } else {
                set terminal svg size w, h font "Sans,12" noenhanced background rgb "white"
        }
        set output out . "." . fmt
        # Okabe-Ito colours: told apart by most colour-blind readers
        set linetype 1 lc rgb "#0072B2" lw 2 pt 7 ps 1.0
        set linetype 2 lc rgb "#D55E00" lw 2 pt 5 ps 1.0
        set linetype 3 lc rgb "#009E73" lw 2 pt 9 ps 1.2
        set linetype 4 lc rgb "#CC79A7" lw 2 pt 13 ps 1.2
        set linetype 5 lc rgb "#E69F00" lw 2 pt 11 ps 1.2
        set linetype 6 lc rgb "#56B4E9" lw 2 pt 15 ps 1.2
        set linetype 7 lc rgb "#000000" lw 2 pt 3 ps 1.2
        set linetype 8 lc rgb "#999999" lw 2 pt 1 ps 1.2
        set linetype cycle 8

        # the title centred on the figure, not over the plot (the legend may
        # sit outside it): a multiplot title, room kept above the plot
        set multiplot title title . (subtitle eq "" ? "" : "\n" . subtitle)
        set tmargin at screen 0.86
        set logscale x 2
        set logscale y 10
        set xrange [xmin / 1.4 : xmax * 1.4]
        step = ceil(log(xmax / xmin) / log(2) / 10.0)
        step = step < 1 ? 1 : step
        set xtics () nomirror
        do for [k = 0:62:step] {
                if (2.0**k >= xmin / 1.01 && 2.0**k <= xmax * 1.01) {
                        set xtics add (sz(2.0**k) 2.0**k)
                }
        }
        set mxtics default
        set ytics () mirror
        do for [k = -1:12] {
                set ytics add (tm(10.0**k) 10.0**k)
        }
        set mytics 10
        set grid xtics ytics mytics lc rgb "#dddddd" lw 1, lc rgb "#f0f0f0" lw 1
        set xlabel "block size (bytes, log scale)"
        set ylabel y_label
        # the top left stays empty (cost grows with size) unless the legend is long
        if (nseries + nref + nflag <= 10) {
                set key inside top left vertical Left reverse samplen 2.5 spacing 1.2 width 1 \
                        box lc rgb "#bbbbbb" opaque
        } else {
                set key outside right top vertical Left reverse samplen 2.5 spacing 1.2 width 1
        }
        set border 3

        # gnuplot runs an iteration over an empty range once all the same, so
        # the reference and flag clauses join the command only when present
        cmd = "plot for [i = 0:nseries - 1] datafile index i using 1:2:3:4 with yerrorlines" . \
              " lt lt_(i + 1) dt dt_(i + 1) title columnheader(1)"
        if (nref > 0) {
                cmd = cmd . ", for [i = nseries:nseries + nref - 1] datafile index i using 1:2" . \
                      " with lines lc rgb '#444444' lw 1.5 dt int(i - nseries + 2)" . \
                      " title columnheader(1)"
        }
        if (nflag > 0) {
                cmd = cmd . ", for [i = nseries + nref:nseries + nref + nflag - 1] datafile" . \
                      " index i using 1:2 with points pt fpt(i - nseries - nref + 1) ps 2.6" . \
                      " lw 1.5 lc rgb fcol(i - nseries - nref + 1) title columnheader(1)"
        }
        eval cmd
        unset multiplot
        set output
}
