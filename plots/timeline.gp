# timeline.gp - one run: resident size (top) and virtual size (bottom) of the
# workload processes while they ran, as sampled from outside.
#
# Drawn by `bench plot`; the first lines of each .dat give the command that
# redraws it, so restyle here and rerun that command.
#
# datafile: one row per sample:  t_ms  rss_kib  vsz_kib   ("?": not measured)
# t_ms counts from the start of the matrix, so the processes of other
# allocators run in the gaps; a blank line ends one stretch of samples where
# the next is more than a few sampling intervals later (the line breaks).
# Variables: datafile; out (writes out.png and out.svg); title, subtitle;
# ltype (line type: the allocator's colour elsewhere); rss_div, rss_unit,
# vsz_div, vsz_unit (divisor from KiB to the unit shown, and its name);
# has_rss, has_vsz (0: nothing measured); t_div, t_unit (divisor from ms to
# the time unit shown, and its name); tmin, tmax (the time axis, in ms);
# w, h (pixels).

if (!exists("w")) w = 1000
if (!exists("h")) h = 650
if (!exists("ltype")) ltype = 1
if (!exists("subtitle")) subtitle = ""
if (!exists("t_div")) t_div = 1000
if (!exists("t_unit")) t_unit = "s"
set datafile missing "?"

do for [fmt in "png svg"] {
        if (fmt eq "png") {
                set terminal pngcairo size w, h font "Sans,10" noenhanced background rgb "white"
        } else {
                set terminal svg size w, h font "Sans,12" noenhanced background rgb "white"
        }
        set output out . "." . fmt
        set linetype 1 lc rgb "#0072B2" lw 1.5
        set linetype 2 lc rgb "#D55E00" lw 1.5
        set linetype 3 lc rgb "#009E73" lw 1.5
        set linetype 4 lc rgb "#CC79A7" lw 1.5
        set linetype 5 lc rgb "#E69F00" lw 1.5
        set linetype 6 lc rgb "#56B4E9" lw 1.5
        set linetype 7 lc rgb "#000000" lw 1.5
        set linetype 8 lc rgb "#999999" lw 1.5
        set linetype cycle 8

        set multiplot layout 2, 1 title title . (subtitle eq "" ? "" : "\n" . subtitle) \
                margins 0.09, 0.97, 0.09, 0.84 spacing 0, 0.09
        unset key
        set grid xtics ytics lc rgb "#dddddd" lw 1
        set border 3
        set xtics nomirror
        set ytics mirror
        set format y "%g"
        set format x "%g"
        set offsets 0, 0, graph 0.05, 0
        if (exists("tmin") && exists("tmax")) {
                set xrange [tmin / t_div : tmax / t_div]
        }
        # both panels share the time axis: the label goes under the lower one
        unset xlabel

        set title "resident set (RSS)"
        set ylabel rss_unit
        if (has_rss) {
                unset label 1
                set format y "%g"
                set yrange [0 : *]
                plot datafile using ($1 / t_div):($2 / rss_div) with linespoints \
                        lt ltype pt 7 ps 0.45 notitle
        } else {
                set label 1 "not measured on this platform" at graph 0.5, 0.5 center
                set format y ""
                unset ylabel
                set yrange [0 : 1]
                plot datafile using ($1 / t_div):(-1) with lines notitle
        }

        set xlabel sprintf("time since the matrix started (%s)", t_unit)
        set title "virtual size (VSZ)"
        set ylabel vsz_unit
        if (has_vsz) {
                unset label 1
                set format y "%g"
                set yrange [0 : *]
                plot datafile using ($1 / t_div):($3 / vsz_div) with linespoints \
                        lt ltype pt 7 ps 0.45 notitle
        } else {
                set label 1 "not measured on this platform" at graph 0.5, 0.5 center
                set format y ""
                unset ylabel
                set yrange [0 : 1]
                plot datafile using ($1 / t_div):(-1) with lines notitle
        }
        unset multiplot
        set output
}
