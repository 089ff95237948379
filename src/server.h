/* SPDX-License-Identifier: MIT */
/*
 * server.h - the HTTP side: libmicrohttpd's daemon, request bodies and
 * limits, CORS, the JS SDK envelope, key checks, and writing responses.
 */
#ifndef PARSEC_SERVER_H
#define PARSEC_SERVER_H

#include "config.h"
#include "storage.h"

typedef struct server server_t;

/* Start listening with a pool of worker threads. NULL on failure (logged). */
server_t *server_start(const config_t *cfg, storage_t *st);
/* The port actually bound (useful with --port 0). */
int server_port(const server_t *srv);
/* Stop accepting, let requests in flight finish (bounded wait), close. */
void server_stop(server_t *srv);

#endif
