/* SPDX-License-Identifier: Apache-2.0
 *
 * paths.c: see paths.h.
 */
#include "paths.h"

#include "base/mem.h"

#include <string.h>

bool
paths_id_is_safe(const char *id)
{
    if (id == NULL)
        return false;
    size_t n = strlen(id);
    if (n == 0 || n > PATHS_ID_MAX)
        return false;
    if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)id[i];
        if (c == '/' || c < 0x20 || c == 0x7f)
            return false;
    }
    return true;
}

char *
paths_runs_dir(const char *work_dir, const char *agent, const char *fw,
               const char *exec)
{
    return cr_xasprintf("%s/slaves/%s/frameworks/%s/executors/%s/runs",
                        work_dir, agent, fw, exec);
}

char *
paths_sandbox_dir(const char *work_dir, const char *agent, const char *fw,
                  const char *exec, const char *cid)
{
    return cr_xasprintf("%s/slaves/%s/frameworks/%s/executors/%s/runs/%s",
                        work_dir, agent, fw, exec, cid);
}

char *
paths_sandbox_virtual(const char *fw, const char *exec)
{
    return cr_xasprintf("/frameworks/%s/executors/%s/runs/latest", fw, exec);
}

char *
paths_meta_dir(const char *work_dir)
{
    return cr_xasprintf("%s/meta", work_dir);
}

char *
paths_boot_id_file(const char *work_dir)
{
    return cr_xasprintf("%s/meta/boot_id", work_dir);
}

char *
paths_meta_slaves_dir(const char *work_dir)
{
    return cr_xasprintf("%s/meta/slaves", work_dir);
}

char *
paths_meta_latest_link(const char *work_dir)
{
    return cr_xasprintf("%s/meta/slaves/latest", work_dir);
}

char *
paths_meta_agent_dir(const char *work_dir, const char *agent)
{
    return cr_xasprintf("%s/meta/slaves/%s", work_dir, agent);
}

char *
paths_agent_info_file(const char *work_dir, const char *agent)
{
    return cr_xasprintf("%s/meta/slaves/%s/slave.info", work_dir, agent);
}

char *
paths_meta_fw_dir(const char *work_dir, const char *agent, const char *fw)
{
    return cr_xasprintf("%s/meta/slaves/%s/frameworks/%s", work_dir, agent, fw);
}

char *
paths_fw_info_file(const char *work_dir, const char *agent, const char *fw)
{
    return cr_xasprintf("%s/meta/slaves/%s/frameworks/%s/framework.info",
                        work_dir, agent, fw);
}

char *
paths_meta_exec_dir(const char *work_dir, const char *agent, const char *fw,
                    const char *exec)
{
    return cr_xasprintf("%s/meta/slaves/%s/frameworks/%s/executors/%s",
                        work_dir, agent, fw, exec);
}

char *
paths_exec_info_file(const char *work_dir, const char *agent, const char *fw,
                     const char *exec)
{
    return cr_xasprintf(
        "%s/meta/slaves/%s/frameworks/%s/executors/%s/executor.info", work_dir,
        agent, fw, exec);
}

char *
paths_meta_run_dir(const char *work_dir, const char *agent, const char *fw,
                   const char *exec, const char *cid)
{
    return cr_xasprintf("%s/meta/slaves/%s/frameworks/%s/executors/%s/runs/%s",
                        work_dir, agent, fw, exec, cid);
}

char *
paths_forked_pid_file(const char *work_dir, const char *agent, const char *fw,
                      const char *exec, const char *cid)
{
    return cr_xasprintf(
        "%s/meta/slaves/%s/frameworks/%s/executors/%s/runs/%s/forked.pid",
        work_dir, agent, fw, exec, cid);
}

char *
paths_completed_file(const char *work_dir, const char *agent, const char *fw,
                     const char *exec, const char *cid)
{
    return cr_xasprintf(
        "%s/meta/slaves/%s/frameworks/%s/executors/%s/runs/%s/completed",
        work_dir, agent, fw, exec, cid);
}

char *
paths_meta_task_dir(const char *work_dir, const char *agent, const char *fw,
                    const char *exec, const char *cid, const char *task)
{
    return cr_xasprintf(
        "%s/meta/slaves/%s/frameworks/%s/executors/%s/runs/%s/tasks/%s",
        work_dir, agent, fw, exec, cid, task);
}

char *
paths_task_info_file(const char *work_dir, const char *agent, const char *fw,
                     const char *exec, const char *cid, const char *task)
{
    return cr_xasprintf("%s/meta/slaves/%s/frameworks/%s/executors/%s/runs/%s/"
                        "tasks/%s/task.info",
                        work_dir, agent, fw, exec, cid, task);
}

char *
paths_task_updates_file(const char *work_dir, const char *agent, const char *fw,
                        const char *exec, const char *cid, const char *task)
{
    return cr_xasprintf("%s/meta/slaves/%s/frameworks/%s/executors/%s/runs/%s/"
                        "tasks/%s/task.updates",
                        work_dir, agent, fw, exec, cid, task);
}
