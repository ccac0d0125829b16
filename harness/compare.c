/* placeholder until the compare command lands; not committed */
#include <stdio.h>
#include "bench.h"
int ab_cmd_compare(int argc, char **argv)
{
        (void)argc;
        (void)argv;
        fprintf(stderr, "bench: compare is not built yet\n");
        return AB_BAD_INPUT;
}
