# timeline.gp - resident size (top) and virtual size (bottom) of the workload
# processes while they ran, as sampled from outside: one run, or every run of
# a program (one colour per allocator, and per launcher).
#
# Drawn by `bench plot`; the first lines of each .dat give the command that
# redraws it, so restyle here and rerun that command.
#
# datafile: nseries blocks separated by two blank lines, each opening with its
# quoted title (the legend entry), then one row per sample:
#   t_ms  rss_kib  vsz_kib   ("?": not measured)
# With aligned=1, t_ms counts from the start of the sample's own process and
# each process is a stretch of rows of its own (a blank line between), so the
# repetitions lie over each other; with aligned=0 (a results file without
# timeline_spans) t_ms counts from the start of the matrix, and a blank line
# breaks the line where the next sample came more than a few intervals later.
# Variables: datafile; out (writes out.png and out.svg); title, subtitle;
# nseries; lts (line type of each series, as words: the allocator's colour
# elsewhere); aligned; rss_div, rss_unit, vsz_div, vsz_unit (divisor from KiB
# to the unit shown, and its name); has_rss, has_vsz (0: nothing measured);
# t_div, t_unit (divisor from ms to the time unit shown, and its name); tmin,
# tmax (the time axis, in ms); w, h (pixels).

if (!exists("w")) w = 1000
if (!exists("h")) h = 650
if (!exists("subtitle")) subtitle = ""
if (!exists("t_div")) t_div = 1000
if (!exists("t_unit")) t_unit = "s"
if (!exists("nseries")) nseries = 1
if (!exists("lts")) lts = "1"
if (!exists("aligned")) aligned = 0
set datafile missing "?"

pname(p) = p == 1 ? "resident set (RSS)" : "virtual size (VSZ)"
pdiv(p) = p == 1 ? rss_div : vsz_div
punit(p) = p == 1 ? rss_unit : vsz_unit
phas(p) = p == 1 ? has_rss : has_vsz
# with a legend, a strip at the bottom holds it
bottom = nseries > 1 ? 0.14 : 0.09

do for [fmt in "png svg"] {
        if (fmt eq "png") {
                set terminal pngcairo size w, h font "Sans,10" noenhanced background rgb "white"
        } else {
                set terminal svg size w, h font "Sans,12" noenhanced background rgb "white"
        }
        set output out . "." . fmt
        set linetype 1 lc rgb "#0072B2" lw 1.5 pt 7 ps 0.4
        set linetype 2 lc rgb "#D55E00" lw 1.5 pt 5 ps 0.4
        set linetype 3 lc rgb "#009E73" lw 1.5 pt 9 ps 0.5
        set linetype 4 lc rgb "#CC79A7" lw 1.5 pt 13 ps 0.5
        set linetype 5 lc rgb "#E69F00" lw 1.5 pt 11 ps 0.5
        set linetype 6 lc rgb "#56B4E9" lw 1.5 pt 15 ps 0.5
        set linetype 7 lc rgb "#000000" lw 1.5 pt 3 ps 0.5
        set linetype 8 lc rgb "#999999" lw 1.5 pt 1 ps 0.5
        set linetype cycle 8

        set multiplot title title . (subtitle eq "" ? "" : "\n" . subtitle)
        unset key
        set grid xtics ytics lc rgb "#dddddd" lw 1
        set border 3
        set xtics nomirror
        set ytics mirror
        set format x "%g"
        set offsets 0, 0, graph 0.05, 0
        if (exists("tmin") && exists("tmax")) {
                set xrange [tmin / t_div : tmax / t_div]
        }
        set lmargin at screen 0.09
        set rmargin at screen 0.97
        do for [p = 1:2] {
                # both panels share the time axis: the label goes under the lower one
                if (p == 1) {
                        set tmargin at screen 0.84
                        set bmargin at screen 0.52 + (bottom - 0.09) / 2
                        unset xlabel
                        set format x ""
                } else {
                        set tmargin at screen 0.45 + (bottom - 0.09) / 2
                        set bmargin at screen bottom
                        set format x "%g"
                        set xlabel sprintf(aligned ? "time since each process started (%s)" \
                                           : "time since the matrix started (%s)", t_unit)
                }
                set title pname(p)
                if (phas(p)) {
                        unset label 1
                        set ylabel punit(p)
                        set format y "%g"
                        set yrange [0 : *]
                        plot for [i = 0:nseries - 1] datafile index i \
                                using ($1 / t_div):(column(p + 1) / pdiv(p)) with linespoints \
                                lt int(word(lts, i + 1)) title columnheader(1)
                } else {
                        set label 1 "not measured on this platform" at graph 0.5, 0.5 center
                        set format y ""
                        unset ylabel
                        set yrange [0 : 1]
                        plot -1 notitle
                }
        }
        if (nseries > 1) {
                # the legend strip: the series again, drawn outside its (empty) range
                unset label 1
                unset title
                unset xlabel
                unset ylabel
                unset border
                unset tics
                unset grid
                set lmargin at screen 0.02
                set rmargin at screen 0.98
                set tmargin at screen 0.05
                set bmargin at screen 0.01
                set yrange [0 : 1]
                set key center center horizontal Left reverse samplen 2.5 spacing 1.1 width 2
                plot for [i = 0:nseries - 1] datafile index i using 1:(-1) with linespoints \
                        lt int(word(lts, i + 1)) title columnheader(1)
        }
        unset multiplot
        set output
}
