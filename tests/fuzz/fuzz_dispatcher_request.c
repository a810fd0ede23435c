/* SPDX-License-Identifier: Apache-2.0
 *
 * fuzz_dispatcher_request.c: corral-dispatcher's REST request handling on
 * arbitrary input. The first line is "METHOD PATH" (routed), the rest a
 * create body: validated, and when valid turned into both driver commands
 * (command mode and spark-submit mode).
 */
#include "base/mem.h"
#include "dispatcher/protocol.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
commands(json_t *req)
{
    json_t *props = json_object_get(req, "sparkProperties");
    long mem = disp_driver_memory_mb(props);
    struct disp_cmd_input in = {
        .app_name = json_string_value(json_object_get(props, "spark.app.name")),
        .main_class = json_string_value(json_object_get(req, "mainClass")),
        .app_resource = json_string_value(json_object_get(req, "appResource")),
        .app_args = json_object_get(req, "appArgs"),
        .props = props,
        .master = "m:5050",
        .cores = 1.0,
        .mem_mb = mem,
    };
    free(disp_driver_command(&in));
    in.spark_home = "/opt/spark";
    free(disp_driver_command(&in));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    char *s = cr_xstrndup((const char *)data, size);
    char *nl = strchr(s, '\n');
    char *body = nl ? nl + 1 : s + strlen(s);
    if (nl)
        *nl = '\0';
    char *sp = strchr(s, ' ');
    struct disp_route r;
    disp_route(sp ? s : "GET", sp ? sp + 1 : s, &r);
    if (strlen(r.message) >= sizeof(r.message) || strlen(r.id) >= sizeof(r.id))
        abort();
    json_error_t je;
    json_t *req = json_loads(body, 0, &je);
    if (req != NULL) {
        char *msg = NULL;
        json_t *unknown = NULL;
        int rc = disp_validate_create(req, &msg, &unknown);
        if ((rc == 0) != (msg == NULL))
            abort();
        if (rc == 0)
            commands(req);
        free(msg);
        json_decref(unknown);
        json_decref(req);
    }
    free(s);
    return 0;
}
