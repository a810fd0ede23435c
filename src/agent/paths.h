/* SPDX-License-Identifier: Apache-2.0
 *
 * paths.h: the agent's on-disk layout (Mesos slave/paths.cpp).
 *
 * Sandboxes:
 *   <work_dir>/slaves/<agent>/frameworks/<fw>/executors/<exec>/runs/<cid>
 *   ... /executors/<exec>/runs/latest -> <cid>
 * Checkpoints:
 *   <work_dir>/meta/boot_id
 *   <work_dir>/meta/slaves/latest -> <agent>
 *   <work_dir>/meta/slaves/<agent>/slave.info
 *   .../frameworks/<fw>/framework.info
 *   .../frameworks/<fw>/executors/<exec>/executor.info
 *   .../executors/<exec>/runs/<cid>/{forked.pid,completed}
 *   .../runs/<cid>/tasks/<task>/{task.info,task.updates}
 *
 * Every id that becomes a path component must pass paths_id_is_safe()
 * first (ids come from the network). All returned strings are owned by the
 * caller. Pure functions, no I/O.
 */
#ifndef CR_AGENT_PATHS_H
#define CR_AGENT_PATHS_H

#include <stdbool.h>

#define PATHS_ID_MAX 255

/* True if id can be one path component: 1..255 bytes, printable, no '/',
 * not "." or "..". */
bool paths_id_is_safe(const char *id);

char *paths_sandbox_dir(const char *work_dir, const char *agent, const char *fw,
                        const char *exec, const char *cid);
char *paths_runs_dir(const char *work_dir, const char *agent, const char *fw,
                     const char *exec);
/* The virtual path the /files endpoint exposes for a sandbox. */
char *paths_sandbox_virtual(const char *fw, const char *exec);

char *paths_meta_dir(const char *work_dir);
char *paths_boot_id_file(const char *work_dir);
char *paths_meta_slaves_dir(const char *work_dir);
char *paths_meta_latest_link(const char *work_dir);
char *paths_meta_agent_dir(const char *work_dir, const char *agent);
char *paths_agent_info_file(const char *work_dir, const char *agent);
char *paths_meta_fw_dir(const char *work_dir, const char *agent,
                        const char *fw);
char *paths_fw_info_file(const char *work_dir, const char *agent,
                         const char *fw);
char *paths_meta_exec_dir(const char *work_dir, const char *agent,
                          const char *fw, const char *exec);
char *paths_exec_info_file(const char *work_dir, const char *agent,
                           const char *fw, const char *exec);
char *paths_meta_run_dir(const char *work_dir, const char *agent,
                         const char *fw, const char *exec, const char *cid);
char *paths_forked_pid_file(const char *work_dir, const char *agent,
                            const char *fw, const char *exec, const char *cid);
char *paths_completed_file(const char *work_dir, const char *agent,
                           const char *fw, const char *exec, const char *cid);
char *paths_meta_task_dir(const char *work_dir, const char *agent,
                          const char *fw, const char *exec, const char *cid,
                          const char *task);
char *paths_task_info_file(const char *work_dir, const char *agent,
                           const char *fw, const char *exec, const char *cid,
                           const char *task);
char *paths_task_updates_file(const char *work_dir, const char *agent,
                              const char *fw, const char *exec, const char *cid,
                              const char *task);

#endif
