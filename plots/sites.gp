# sites.gp - the allocation sites of a run traced with --trace: the live
# bytes each of its top sites held at each round end of the trace pass, one
# line per site. A site that leaks rises a step every round; one a leak-site
# flag names is drawn thicker and says "flagged" in the legend.
#
# Drawn by `bench plot`; the first lines of each .dat give the command that
# redraws it, so restyle here and rerun that command.
#
# datafile: nseries blocks separated by two blank lines, each opening with its
# quoted title (the legend entry: the site's innermost frames and its
# left-over per round), then one row per round:
#   round  live_bytes        ("?": not known)
# Variables: datafile; out (writes out.png and out.svg); title, subtitle;
# nseries; flagged (1 for a flagged site, as words); live_div, live_unit
# (divisor from bytes to the unit shown, and its name); live_max (largest
# value, in bytes); rmax (last round); w, h (pixels).

if (!exists("w")) w = 1000
if (!exists("h")) h = 650
if (!exists("subtitle")) subtitle = ""
if (!exists("nseries")) nseries = 1
if (!exists("flagged")) flagged = ""
if (!exists("live_div")) live_div = 1
if (!exists("live_unit")) live_unit = "B"
if (!exists("live_max")) live_max = 1
if (!exists("rmax")) rmax = 1
set datafile missing "?"

isflagged(i) = words(flagged) > i ? int(word(flagged, i + 1)) : 0

do for [fmt in "png svg"] {
        if (fmt eq "png") {
                set terminal pngcairo size w, h font "Sans,10" noenhanced background rgb "white"
        } else {
                set terminal svg size w, h font "Sans,12" noenhanced background rgb "white"
        }
        set output out . "." . fmt
        set linetype 1 lc rgb "#0072B2" lw 2 pt 7 ps 0.7
        set linetype 2 lc rgb "#D55E00" lw 2 pt 5 ps 0.7
        set linetype 3 lc rgb "#009E73" lw 2 pt 9 ps 0.9
        set linetype 4 lc rgb "#CC79A7" lw 2 pt 13 ps 0.9
        set linetype 5 lc rgb "#E69F00" lw 2 pt 11 ps 0.9
        set linetype 6 lc rgb "#56B4E9" lw 2 pt 15 ps 0.9
        set linetype 7 lc rgb "#000000" lw 2 pt 3 ps 0.9
        set linetype 8 lc rgb "#999999" lw 2 pt 1 ps 0.9
        set linetype cycle 8

        # one panel and, under it, a strip as wide as the figure holding the
        # legend, one entry a line: a site's key needs the width
        strip = 0.02 + 0.03 * nseries
        set multiplot title title . (subtitle eq "" ? "" : "\n" . subtitle)
        unset key
        set grid xtics ytics lc rgb "#dddddd" lw 1
        set border 3
        set xrange [-0.3 : rmax + 0.3]
        if (rmax <= 20) {
                set xtics 1 nomirror
        } else {
                set xtics autofreq nomirror
        }
        set ytics mirror
        set format x "%g"
        set format y "%g"
        set xlabel "round of the trace pass"
        set ylabel "live bytes at the round end (" . live_unit . ")"
        if (live_max > 0) {
                set yrange [0 : *]
        } else {
                set yrange [0 : 1]
        }
        set offsets 0, 0, graph 0.05, 0
        set lmargin at screen 0.09
        set rmargin at screen 0.97
        set tmargin at screen 0.84
        set bmargin at screen strip + 0.1
        plot for [i = 0:nseries - 1] datafile index i using 1:($2 / live_div) \
                with linespoints lt i + 1 lw (isflagged(i) ? 4 : 2) title columnheader(1)

        # the legend strip: the series again, drawn outside its (empty) range
        unset title
        unset xlabel
        unset ylabel
        unset border
        unset tics
        unset grid
        set offsets 0, 0, 0, 0
        set lmargin at screen 0.02
        set rmargin at screen 0.98
        set tmargin at screen strip
        set bmargin at screen 0.01
        set yrange [0 : 1]
        set key center center vertical maxrows nseries Left reverse samplen 2.5 spacing 1.1 \
                width 2
        plot for [i = 0:nseries - 1] datafile index i using 1:(-1) with linespoints \
                lt i + 1 lw (isflagged(i) ? 4 : 2) title columnheader(1)
        unset multiplot
        set output
}
