/*
 * libstall.so - a pathological reference allocator: its constructor never
 * returns (it waits in pause()), as an allocator that deadlocks in its own
 * initialisation would. A harness must not wait for it forever: bench's
 * preflight gives the runner AB_PREFLIGHT_TIMEOUT_S to start with it, then
 * refuses the allocator, and Ctrl-C there exits 130.
 */
#include <unistd.h>

#include "api.h"

__attribute__((constructor)) static void stall(void)
{
        for (;;)
                pause();
}
