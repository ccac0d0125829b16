# rounds.gp - a workload with rounds (conn-leak, arena-churn, mmap-sweep):
# resident size, virtual size, page tables and the bytes the workload holds,
# after each round, one line per allocator.
#
# Drawn by `bench plot`; the first lines of each .dat give the command that
# redraws it, so restyle here and rerun that command.
#
# datafile: nseries blocks separated by two blank lines, each opening with its
# quoted title (the legend entry), then one row per round:
#   round  rss_kib  vsz_kib  pte_kib  live_bytes        ("?": not measured)
# (for a program, prog=1: anon_kib in place of live_bytes, the live panel
# showing its resident anonymous memory)
# then nflag blocks alike: the rounds a flag's trend read, ringed.
# Variables: datafile; out (writes out.png and out.svg); title, subtitle;
# nseries; lts (line type of each series, as words); nflag; fpts (point type
# of each flag's rings, as words); rmax (last round);
# for each panel P in rss, vsz, pte, live: P_div (divisor from the file's unit
# to the one shown), P_unit (its name), P_max (largest value, in the file's
# unit), has_P (0: nothing measured);
# w, h (pixels).

if (!exists("w")) w = 1000
if (!exists("h")) h = 650
if (!exists("subtitle")) subtitle = ""
if (!exists("nflag")) nflag = 0
if (!exists("fpts")) fpts = ""
set datafile missing "?"

if (!exists("prog")) prog = 0
pname(p) = p == 1 ? "resident set (RSS)" : p == 2 ? "virtual size (VSZ)" : \
           p == 3 ? "page tables" : \
           prog ? "resident anonymous memory" : "live bytes the workload holds"
pdiv(p) = p == 1 ? rss_div : p == 2 ? vsz_div : p == 3 ? pte_div : live_div
punit(p) = p == 1 ? rss_unit : p == 2 ? vsz_unit : p == 3 ? pte_unit : live_unit
phas(p) = p == 1 ? has_rss : p == 2 ? has_vsz : p == 3 ? has_pte : has_live
pmax(p) = p == 1 ? rss_max : p == 2 ? vsz_max : p == 3 ? pte_max : live_max

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

        # four panels (RSS, VSZ / page tables, live bytes) and, under them, a
        # strip as wide as the figure holding the legend alone: up to four
        # entries one under the other, more in two columns
        nent = nseries + nflag
        krows = nent <= 4 ? nent : (nent + 1) / 2
        krows = krows > 8 ? 8 : krows
        strip = 0.02 + 0.028 * krows
        pb = strip + 0.1
        ph = (0.84 - pb - 0.11) / 2
        set multiplot title title . (subtitle eq "" ? "" : "\n" . subtitle)
        set xrange [-0.3 : rmax + 0.3]
        if (rmax <= 12) {
                set xtics 1 nomirror
        } else {
                set xtics autofreq nomirror
        }
        set format x "%g"
        set ytics mirror
        set format y "%g"
        set grid xtics ytics lc rgb "#dddddd" lw 1
        set border 3
        unset key
        do for [p = 1:4] {
                col = (p - 1) % 2
                row = (p - 1) / 2
                set lmargin at screen 0.08 + col * 0.5
                set rmargin at screen 0.48 + col * 0.5
                set tmargin at screen row ? pb + ph : 0.84
                set bmargin at screen row ? pb : 0.84 - ph
                set title pname(p)
                set ylabel punit(p)
                # the rounds axis is shared: labelled under the lower panels
                if (row) {
                        set xlabel "round"
                } else {
                        unset xlabel
                }
                if (phas(p)) {
                        unset label 1
                set format y "%g"
                        set format y "%g"
                        if (pmax(p) > 0) {
                                set yrange [0 : *]
                                set ytics autofreq
                        } else {
                                # all zero: one whole unit, no fractions of a byte
                                set yrange [0 : 1]
                                set ytics 1
                        }
                        if (nflag > 0) {
                                plot for [i = 0:nseries - 1] datafile index i \
                                        using 1:(column(p + 1) / pdiv(p)) with linespoints \
                                        lt int(word(lts, i + 1)) title columnheader(1), \
                                     for [j = 0:nflag - 1] datafile index nseries + j \
                                        using 1:(column(p + 1) / pdiv(p)) with points \
                                        pt int(word(fpts, j + 1)) ps 2.2 lw 1.5 \
                                        lc rgb "#B00000" title columnheader(1)
                        } else {
                                plot for [i = 0:nseries - 1] datafile index i \
                                        using 1:(column(p + 1) / pdiv(p)) with linespoints \
                                        lt int(word(lts, i + 1)) title columnheader(1)
                        }
                } else {
                        set label 1 "not measured on this platform" at graph 0.5, 0.5 center
                        set format y ""
                        unset ylabel
                        set yrange [0 : 1]
                        plot -1 notitle
                }
        }
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
        set tmargin at screen strip
        set bmargin at screen 0.01
        set yrange [0 : 1]
        set key center center vertical maxrows krows Left reverse samplen 2.5 spacing 1.1 width 2
        if (nflag > 0) {
                plot for [i = 0:nseries - 1] datafile index i using 1:(-1) with linespoints \
                        lt int(word(lts, i + 1)) title columnheader(1), \
                     for [j = 0:nflag - 1] datafile index nseries + j using 1:(-1) with points \
                        pt int(word(fpts, j + 1)) ps 2.2 lw 1.5 lc rgb "#B00000" \
                        title "flagged, ".columnhead(1)
        } else {
                plot for [i = 0:nseries - 1] datafile index i using 1:(-1) with linespoints \
                        lt int(word(lts, i + 1)) title columnheader(1)
        }
        unset multiplot
        set output
}
