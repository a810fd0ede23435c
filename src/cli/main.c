/* SPDX-License-Identifier: Apache-2.0
 *
 * main.c: `corral`, the command line of Corral. Dispatches to one
 * subcommand; see cli.h for the conventions every subcommand keeps.
 */
#include "base/log.h"
#include "cli.h"
#include "opcmds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    {"local", cmd_local, "run a master and agents on this machine"},
    {"execute", cmd_execute, "run a command as task(s), print its output"},
    {"ps", cmd_ps, "list tasks"},
    {"agents", cmd_agents, "list agents"},
    {"frameworks", cmd_frameworks, "list frameworks"},
    {"logs", cmd_logs, "print a task's stdout or stderr"},
    {"submit", cmd_submit, "submit a driver to a Spark cluster dispatcher"},
    {"state", cmd_state, "summarise the cluster (operator API GET_STATE)"},
    {"top", cmd_top, "live view of agents, frameworks and tasks"},
    {"maintenance", cmd_maintenance, "maintenance schedule, status, down/up"},
    {"quota", cmd_quota, "list, set or remove roles' quotas"},
    {"weights", cmd_weights, "list or set roles' weights"},
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void
usage(FILE *f)
{
    fprintf(f, "Usage: corral <command> [options]\n\nCommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nRun 'corral <command> --help' for a command's options.\n"
               "The master defaults to $CORRAL_MASTER, else "
               "127.0.0.1:5050.\n"
               "Set CORRAL_LOGGING_LEVEL=INFO to see library logs.\n");
}

static void
setup_logging(void)
{
    const char *lvl = getenv("CORRAL_LOGGING_LEVEL");
    int l = lvl ? cr_log_level_parse(lvl) : -1;
    /* Quiet by default: the CLI reports problems itself, in one line. */
    cr_log_set_level(l >= 0 ? (enum cr_log_level)l : (enum cr_log_level) - 1);
    cr_log_set_ident("corral");
}

int
main(int argc, char **argv)
{
    setup_logging();
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
        printf("corral %s\n", CR_VERSION);
        return CLI_EXIT_OK;
    }
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 2, argv + 2);
    fprintf(stderr, "corral: unknown command '%s' (see corral --help)\n",
            argv[1]);
    return CLI_EXIT_USAGE;
}
