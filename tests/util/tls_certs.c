/* tls_certs.c - make a CA and certificates with the openssl tool (ch10).
 *
 * Each step is one `openssl` command run through the shell, with its
 * output sent to a log in the directory, so a failure can say which
 * command failed and what openssl printed.  The extensions come from a
 * configuration file written here, not from the system's openssl.cnf, so
 * the certificates are the same on every machine.
 */
#include "tls_certs.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char config[] =
    "[req]\n"
    "distinguished_name = dn\n"
    "prompt = no\n"
    "[dn]\n"
    "CN = unused\n"
    "[ca]\n"
    "basicConstraints = critical, CA:TRUE\n"
    "keyUsage = critical, keyCertSign, cRLSign\n"
    "subjectKeyIdentifier = hash\n"
    "[server]\n"
    "basicConstraints = CA:FALSE\n"
    "keyUsage = critical, digitalSignature\n"
    "extendedKeyUsage = serverAuth, clientAuth\n"
    "subjectAltName = IP:127.0.0.1, DNS:localhost\n"
    "[client]\n"
    "basicConstraints = CA:FALSE\n"
    "keyUsage = critical, digitalSignature\n"
    "extendedKeyUsage = clientAuth\n";

#define EC "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"

/* Run one command in t->dir; on failure put it and the log's tail in err. */
static int run(const tls_certs *t, char *err, size_t errsz, const char *cmd)
{
    char line[2048];
    snprintf(line, sizeof line, "cd '%s' && %s >openssl.log 2>&1", t->dir, cmd);
    int st = system(line);
    if (st == 0) return 0;
    char logp[300], tail[256] = "";
    snprintf(logp, sizeof logp, "%s/openssl.log", t->dir);
    FILE *f = fopen(logp, "r");
    if (f) {
        size_t n = fread(tail, 1, sizeof tail - 1, f);
        tail[n] = '\0';
        fclose(f);
    }
    snprintf(err, errsz, "tls_certs: `%s` failed (status %d; is the openssl "
             "package installed?): %s", cmd, st, tail);
    return -1;
}

/* A CA: key and self-signed certificate. */
static int make_ca(const tls_certs *t, char *err, size_t errsz,
                   const char *name, const char *cn)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "openssl req -config tls.cnf -x509 " EC " -days 2 -subj '/CN=%s' "
             "-extensions ca -keyout %s.key -out %s.crt", cn, name, name);
    return run(t, err, errsz, cmd);
}

/* A certificate the CA signs: key, request, signature. */
static int make_leaf(const tls_certs *t, char *err, size_t errsz,
                     const char *name, const char *cn, const char *ext,
                     int serial)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "openssl req -config tls.cnf -new " EC " -subj '/CN=%s' "
             "-keyout %s.key -out %s.csr", cn, name, name);
    if (run(t, err, errsz, cmd) != 0) return -1;
    snprintf(cmd, sizeof cmd,
             "openssl x509 -req -in %s.csr -CA ca.crt -CAkey ca.key -set_serial %d "
             "-days 2 -extfile tls.cnf -extensions %s -out %s.crt",
             name, serial, ext, name);
    return run(t, err, errsz, cmd);
}

int tls_certs_make(tls_certs *t, char *err, size_t errsz)
{
    memset(t, 0, sizeof *t);
    err[0] = '\0';
    const char *tmp = getenv("TMPDIR");
    snprintf(t->dir, sizeof t->dir, "%s/tls-certs-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(t->dir)) {
        snprintf(err, errsz, "tls_certs: mkdtemp %s: %s", t->dir, strerror(errno));
        t->dir[0] = '\0';
        return -1;
    }
    char cnf[300];
    snprintf(cnf, sizeof cnf, "%s/tls.cnf", t->dir);
    FILE *f = fopen(cnf, "w");
    if (!f || fputs(config, f) < 0 || fclose(f) != 0) {
        snprintf(err, errsz, "tls_certs: write %s: %s", cnf, strerror(errno));
        tls_certs_remove(t);
        return -1;
    }
    if (make_ca(t, err, errsz, "ca", "Test CA") != 0 ||
        make_ca(t, err, errsz, "wrong-ca", "Wrong CA") != 0 ||
        make_leaf(t, err, errsz, "server", "localhost", "server", 2) != 0 ||
        make_leaf(t, err, errsz, "client", "replica", "client", 3) != 0) {
        tls_certs_remove(t);
        return -1;
    }
    snprintf(t->ca_cert, sizeof t->ca_cert, "%s/ca.crt", t->dir);
    snprintf(t->wrong_ca_cert, sizeof t->wrong_ca_cert, "%s/wrong-ca.crt", t->dir);
    snprintf(t->server_cert, sizeof t->server_cert, "%s/server.crt", t->dir);
    snprintf(t->server_key, sizeof t->server_key, "%s/server.key", t->dir);
    snprintf(t->client_cert, sizeof t->client_cert, "%s/client.crt", t->dir);
    snprintf(t->client_key, sizeof t->client_key, "%s/client.key", t->dir);
    return 0;
}

void tls_certs_remove(tls_certs *t)
{
    if (!t->dir[0]) return;
    DIR *d = opendir(t->dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
            char p[600];
            snprintf(p, sizeof p, "%s/%s", t->dir, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(t->dir);
    t->dir[0] = '\0';
}
