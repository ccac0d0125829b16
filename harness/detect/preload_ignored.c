/*
 * preload-ignored: a program (cmd) whose malloc, in some process of its
 * tree, is not the allocator's: it brings its own (linked in, or defined in
 * the executable), or ld.so did not apply the preload (the program cleared
 * LD_PRELOAD before an exec, or runs something static). Its figures are then
 * not the allocator's, whatever the table's row says. The writer decided
 * this from the agent's report in each process (preload_verified, with the
 * file in malloc_served_by); the detector only says it where flags are read.
 */
#include "detect/detect.h"

AB_DETECTOR(preload_ignored)
{
        (void)doc;
        if (!run->program || run->preload_verified != 0)
                return;
        ab_flag_add(flags, run, "preload-ignored", "warn", json_object(),
                    json_pack("{s:s?,s:s?}", "served_by", run->served_other, "requested",
                              run->alloc_requested),
                    "malloc in the program is served by %s, not by %s: these figures are not %s's",
                    run->served_other ? run->served_other : "another file",
                    run->alloc_requested ? run->alloc_requested : "the C library", run->alloc);
        ab_flag_hint(flags, "the program brings its own malloc (linked in, or defined by the "
                            "executable), or a process in its tree was started without the "
                            "preload (LD_PRELOAD cleared before an exec, a static or setuid "
                            "program): measure a build that calls the system's malloc, or the "
                            "process that does");
}
