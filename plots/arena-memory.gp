# arena-memory.gp - memory bars (arena-churn and any run of several threads,
# or of a VSZ far above its RSS): virtual size (left) and resident size
# (right) of each allocator after the measured region.
#
# Drawn by `bench plot`; the first lines of each .dat give the command that
# redraws it, so restyle here and rerun that command.
#
# datafile: a header row (quoted: "allocator", then the label of each point
# twice), then one row per allocator:
#   "name"  vsz_kib rss_kib  [vsz_kib rss_kib of the next point ..]  ("?": not measured)
# With one point the bars take the allocators' colours; with several, each
# allocator gets a cluster of bars, one per point, and a legend names them.
# Variables: datafile; out (writes out.png and out.svg); title, subtitle;
# nallocs, npoints; lts (line type of each allocator, as words); vsz_div,
# vsz_unit, rss_div, rss_unit (divisor from KiB to the unit shown, and its
# name); has_vsz, has_rss (0: nothing measured); vsz_label, rss_label (the
# panels' titles: vsz_kib and rss_kib as doc/metrics.def tells them); w, h
# (pixels).

if (!exists("w")) w = 1000
if (!exists("h")) h = 650
if (!exists("subtitle")) subtitle = ""
if (!exists("vsz_label")) vsz_label = "virtual size after the measured region"
if (!exists("rss_label")) rss_label = "resident set after the measured region"
set datafile missing "?"

num(v) = v >= 100 ? sprintf("%.0f", v) : v >= 10 ? sprintf("%.1f", v) : sprintf("%.2f", v)
pdiv(p) = p == 1 ? vsz_div : rss_div
punit(p) = p == 1 ? vsz_unit : rss_unit
phas(p) = p == 1 ? has_vsz : has_rss
pname(p) = p == 1 ? vsz_label : rss_label
bw = 0.75 / npoints
xoff(j) = (j - (npoints - 1) / 2.0) * bw

do for [fmt in "png svg"] {
        if (fmt eq "png") {
                set terminal pngcairo size w, h font "Sans,10" noenhanced background rgb "white"
        } else {
                set terminal svg size w, h font "Sans,12" noenhanced background rgb "white"
        }
        set output out . "." . fmt
        set linetype 1 lc rgb "#0072B2" lw 1
        set linetype 2 lc rgb "#D55E00" lw 1
        set linetype 3 lc rgb "#009E73" lw 1
        set linetype 4 lc rgb "#CC79A7" lw 1
        set linetype 5 lc rgb "#E69F00" lw 1
        set linetype 6 lc rgb "#56B4E9" lw 1
        set linetype 7 lc rgb "#000000" lw 1
        set linetype 8 lc rgb "#999999" lw 1
        set linetype cycle 8

        set multiplot layout 1, 2 title title . (subtitle eq "" ? "" : "\n" . subtitle) \
                margins 0.08, 0.98, (npoints > 1 ? 0.14 : 0.08), 0.85 spacing 0.1, 0
        set key autotitle columnheader
        set style fill solid 0.85 border lc rgb "#333333"
        set boxwidth bw absolute
        set xrange [-0.6 : nallocs - 0.4]
        set xtics nomirror scale 0
        set ytics mirror
        set format y "%g"
        set grid ytics lc rgb "#dddddd" lw 1
        set border 3
        set offsets 0, 0, graph 0.08, 0
        unset xlabel
        do for [p = 1:2] {
                set title pname(p)
                set ylabel punit(p)
                if (p == 1 && npoints > 1) {
                        set key at screen 0.5, 0.015 center bottom horizontal Left reverse \
                                samplen 2 spacing 1.1 width 2
                } else {
                        unset key
                }
                if (!phas(p)) {
                        set label 1 "not measured on this platform" at graph 0.5, 0.5 center
                        set format y ""
                        unset ylabel
                        set yrange [0 : 1]
                        plot datafile using 0:(-1):xtic(1) with boxes notitle
                } else {
                        unset label 1
                set format y "%g"
                        set format y "%g"
                        set yrange [0 : *]
                        if (npoints == 1) {
                                plot datafile using 0:(column(p + 1) / pdiv(p)): \
                                             (int(word(lts, int($0) + 1))):xtic(1) \
                                             with boxes lc variable notitle, \
                                     '' using 0:(column(p + 1) / pdiv(p)): \
                                             (num(column(p + 1) / pdiv(p))) \
                                             with labels offset 0, 0.8 notitle
                        } else {
                                # a cluster per allocator; the name under its middle
                                plot for [j = 0:npoints - 1] datafile \
                                             using ($0 + xoff(j)):(column(2 * j + p + 1) / pdiv(p)) \
                                             with boxes lt (j + 1) title columnheader(2 * j + p + 1), \
                                     '' using 0:(-1):xtic(1) with points ps 0 notitle
                        }
                }
        }
        unset multiplot
        set output
}
