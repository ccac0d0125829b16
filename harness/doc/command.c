/*
 * command.c - the words of a results document's command that decided what
 * it measured (doc.h: ab_command_words), for the readers that ask whether
 * two documents ran the same thing: bench merge (the shards of one
 * command) and bench compare's host view (what differs in the settings).
 */
#include <stdbool.h>
#include <string.h>

#include "doc/doc.h"

/* Does word start option `opt` with an attached value ("--shard=2/4",
 * "-oFILE")? */
static bool attached(const char *word, const char *opt)
{
        size_t n = strlen(opt);
        if (strncmp(word, opt, n) != 0 || !word[n])
                return false;
        return opt[1] == '-' ? word[n] == '=' : true;
}

/* The options of bench run dropped under `drop`: their names (long, short),
 * whether they take a value, and which group they are in. */
static const struct {
        const char *name, *letter;
        bool value;
        int group;
} dropped[] = {
    {"--shard", NULL, true, AB_CMD_SHARD},
    {"--output", "-o", true, AB_CMD_OUTPUT},
    {"--format", NULL, true, AB_CMD_OUTPUT},
    {"--quiet", "-q", false, AB_CMD_OUTPUT},
};

/* How many words at w[0..] the dropped option there takes (0: not one). */
static size_t drop_len(json_t *cmd, size_t i, int drop)
{
        const char *w = json_string_value(json_array_get(cmd, i));
        for (size_t k = 0; w && k < sizeof dropped / sizeof dropped[0]; k++) {
                if (!(drop & dropped[k].group))
                        continue;
                if (strcmp(w, dropped[k].name) == 0 ||
                    (dropped[k].letter && strcmp(w, dropped[k].letter) == 0))
                        return dropped[k].value && i + 1 < json_array_size(cmd) ? 2 : 1;
                if (dropped[k].value && (attached(w, dropped[k].name) ||
                                         (dropped[k].letter && attached(w, dropped[k].letter))))
                        return 1;
        }
        return 0;
}

json_t *ab_command_words(json_t *command, int drop)
{
        json_t *out = json_array();
        size_t n = json_array_size(command), i = 0;
        bool program = false; /* past "--": the program of cmd, kept whole */
        if (!out)
                return NULL;
        if (drop & AB_CMD_PROGRAM) {
                i = 1; /* bench itself, wherever it was */
                if (i < n && json_is_string(json_array_get(command, i)) &&
                    strcmp(json_string_value(json_array_get(command, i)), "run") == 0)
                        i++;
        }
        while (i < n) {
                json_t *w = json_array_get(command, i);
                size_t skip = program ? 0 : drop_len(command, i, drop);
                if (skip) {
                        i += skip;
                        continue;
                }
                if (json_is_string(w) && strcmp(json_string_value(w), "--") == 0)
                        program = true;
                json_array_append(out, w);
                i++;
        }
        return out;
}
