/* SPDX-License-Identifier: Apache-2.0
 *
 * api.h: v1 API request/response helpers shared by the daemons' HTTP
 * handlers (the master's scheduler and operator APIs, the agent's
 * operator API): typed responses, media type checks, call parsing, and
 * the small calls every v1 operator API answers alike (version, metrics,
 * logging level).
 *
 * Checks answer the request themselves when it fails them and say so by
 * returning -1; the caller then must not touch req again. The answers are
 * upstream's, word for word (reference §1.1, §3):
 *   405 "Expecting 'POST'" (with Allow: POST) unless the method is POST,
 *   400 "Expecting 'Content-Type' to be present",
 *   415 unless Content-Type is application/json (parameters and case are
 *       ignored),
 *   400 "Failed to parse body into Call: ..." / "Failed to validate
 *       <what>: ..." for a body that does not parse or validate,
 *   406 "Expecting 'Accept' to allow application/json".
 *
 * Typed responses are {"type": T, "<lowercase T>": body}, 200 with exactly
 * "application/json", or 500 "Response too large" past the caller's limit.
 *
 * Ownership: cr_api_respond_json borrows resp; cr_api_respond_typed and
 * cr_api_metrics take their JSON argument; the builders return new
 * references. Loop thread only: the
 * logging level's revert timer is one static, unreferenced handle per
 * process (it never keeps the loop alive; a daemon's shutdown walk closes
 * it).
 */
#ifndef CR_NET_API_H
#define CR_NET_API_H

#include "http_server.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

/* The answer to a request whose Accept does not allow JSON. */
#define CR_API_NOT_ACCEPTABLE "Expecting 'Accept' to allow application/json"

/* ---- media types ------------------------------------------------------- */

/* header names the media type type, ignoring parameters (";charset=...")
 * and case. false for NULL. */
bool cr_api_is_media(const char *header, const char *type);
/* accept (an Accept header, NULL when absent) allows application/json. */
bool cr_api_accepts_json(const char *accept);

/* ---- request checks ---------------------------------------------------- */

/* POST with a JSON Content-Type: 0, or -1 after answering 405/400/415. */
int cr_api_check_post_json(struct cr_http_req *req);
/* The request's Accept allows JSON: 0, or -1 after answering 406. */
int cr_api_check_accept(struct cr_http_req *req);

/* A call validator: 0, or nonzero with a one-line reason in err. */
typedef int (*cr_api_validate_fn)(const json_t *call, char *err, size_t errlen);

/* cr_api_check_post_json, then parse the body as a JSON object, drop its
 * null members (cr_api_strip_nulls) and run validate on it. 0 with *out
 * set (owned), or -1 after answering (what names the call kind in the
 * 400 message, e.g. "scheduler::Call"). */
int cr_api_parse_call(struct cr_http_req *req, cr_api_validate_fn validate,
                      const char *what, json_t **out);
/* Drop every object member whose value is JSON null, at any depth up to
 * 64 (deeper values keep theirs). Like stout and the proto3 JSON mapping,
 * null means "not set": mesos-go sends unset fields as null. */
void cr_api_strip_nulls(json_t *v);

/* ---- responses --------------------------------------------------------- */

/* 200 application/json with resp serialised, or 500 "Response too large"
 * when it passes max bytes. */
void cr_api_respond_json(struct cr_http_req *req, const json_t *resp,
                         size_t max);
/* {"type": type, "<lowercase type>": body} as cr_api_respond_json; takes
 * body. */
void cr_api_respond_typed(struct cr_http_req *req, const char *type,
                          json_t *body, size_t max);
/* The body field of a call or response type: type in ASCII lowercase,
 * truncated to n - 1 bytes, into out (n > 0). Returns out. */
char *cr_api_type_field(const char *type, char *out, size_t n);

/* ---- the calls every operator API shares -------------------------------- */

/* A VersionInfo: {"version", "build_date", "build_time" (seconds, a
 * double), "build_user"} and, with git_sha, an empty "git_sha". New. */
json_t *cr_api_version_info(bool git_sha);
/* GET_METRICS's body: {"metrics": [{"name", "value"}...]} of flat's
 * numeric members, in flat's order. New; takes flat (NULL-safe). */
json_t *cr_api_metrics(json_t *flat);
/* GET_LOGGING_LEVEL's body: {"level": glog verbosity}: 0 normally, the
 * number of levels past info otherwise (1 with debug lines). New. */
json_t *cr_api_logging_level(void);
/* SET_LOGGING_LEVEL: level 0 means the usual lines, anything higher adds
 * debug lines; after ms milliseconds (at most a year; <= 0 or NaN: at the
 * next loop turn) the level from before the first of a run of changes
 * comes back, as upstream's temporary verbosity. */
void cr_api_set_logging_level(uv_loop_t *loop, unsigned level, double ms);

#endif
