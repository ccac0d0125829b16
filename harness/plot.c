/* placeholder until the plot command lands; not committed */
#include <stdio.h>
#include "bench.h"
int ab_cmd_plot(int argc, char **argv)
{
        (void)argc;
        (void)argv;
        fprintf(stderr, "bench: plot is not built yet\n");
        return AB_BAD_INPUT;
}
