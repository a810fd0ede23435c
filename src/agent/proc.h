/* SPDX-License-Identifier: Apache-2.0
 *
 * proc.h: process helpers for executors that live in their own session
 * (uv_spawn UV_PROCESS_DETACHED == setsid): killing the whole session,
 * checking a pid, reading the boot id. Linux /proc based.
 */
#ifndef CR_AGENT_PROC_H
#define CR_AGENT_PROC_H

#include <stdbool.h>
#include <sys/types.h>

/* Send sig to every process whose session id is sid (and to sid's process
 * group). Returns the number of processes signalled. */
int proc_kill_session(pid_t sid, int sig);
/* True if pid exists and is not a zombie. */
bool proc_is_alive(pid_t pid);
/* The kernel boot id (owned), or NULL. */
char *proc_boot_id(void);

#endif
