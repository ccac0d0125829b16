/* placeholder until the history command lands; not committed */
#include <stdio.h>
#include "bench.h"
int ab_cmd_history(int argc, char **argv)
{
        (void)argc;
        (void)argv;
        fprintf(stderr, "bench: history is not built yet\n");
        return AB_BAD_INPUT;
}
