/* report.c - the results files: Markdown, CSV and SVG plots.
 *
 * A number without its machine is not a result.  Every file starts with
 * the date, the host, the CPU model, the number of online CPUs, the
 * compiler and its flags, and the profile (run length, repeats), so that a
 * table pasted anywhere still says where it came from.  Plots are drawn by
 * piping a gnuplot script, data included, into gnuplot; when gnuplot is
 * missing the tables are still written and the plots are skipped with a
 * message.
 */
#include "bench.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#ifndef BENCH_CFLAGS
#define BENCH_CFLAGS "(not recorded)"
#endif

const bench_table *bench_find(const bench_report *rep, const char *id)
{
    for (int i = 0; i < rep->n; i++)
        if (strcmp(rep->t[i].id, id) == 0)
            return &rep->t[i];
    return NULL;
}

void bench_report_free(bench_report *rep)
{
    for (int i = 0; i < rep->n; i++)
        bench_table_free(&rep->t[i]);
    rep->n = 0;
}

/* The CPU model as /proc/cpuinfo names it (what lscpu prints). */
void bench_cpu_model(char *buf, size_t n)
{
    snprintf(buf, n, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[256];
    while (f != NULL && fgets(line, sizeof line, f) != NULL) {
        char *c = strchr(line, ':');
        if (strncmp(line, "model name", 10) == 0 && c != NULL) {
            c += 2;
            c[strcspn(c, "\n")] = '\0';
            snprintf(buf, n, "%s", c);
            break;
        }
    }
    if (f != NULL)
        fclose(f);
}

static void header(FILE *f, const bench_report *rep, const bench_profile *p)
{
    char host[256] = "unknown", model[256], date[64];
    gethostname(host, sizeof host - 1);
    bench_cpu_model(model, sizeof model);
    time_t now = time(NULL);
    strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", gmtime(&now));
    struct utsname u;
    uname(&u);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    fprintf(f, "## Benchmark results: profile \"%s\"\n\n", p->name);
    fprintf(f, "- date: %s\n- host: %s (%s %s)\n", date, host, u.sysname,
            u.release);
    fprintf(f, "- cpu: %s, %d online CPUs (nproc)\n", model, rep->nproc);
    fprintf(f, "- compiler: %s\n- flags: %s\n",
#ifdef __clang__
            "clang " __clang_version__,
#else
            "gcc " __VERSION__,
#endif
            BENCH_CFLAGS);
    fprintf(f, "- runs: %.3g s timed after %.3g s warm-up; threads not "
            "pinned; peak RSS of the whole benchmark %ld MiB\n",
            p->seconds, p->warmup, ru.ru_maxrss / 1024);
    fprintf(f, "- ns/op = wall time / total operations of all threads "
            "(Go's definition for parallel benchmarks)\n");
    /* The load average says how much else ran: on a shared machine a
     * ratio's range is only as narrow as the neighbours allow. */
    double la[3] = {NAN, NAN, NAN};
    FILE *lf = fopen("/proc/loadavg", "r");
    if (lf == NULL || fscanf(lf, "%lf %lf %lf", &la[0], &la[1], &la[2]) != 3)
        la[0] = la[1] = la[2] = NAN;
    if (lf != NULL)
        fclose(lf);
    fprintf(f, "- repeats: %d per point, interleaved (the variants of a row "
            "take turns, repeat by repeat); ranges are min\u2013max of "
            "per-repeat ratios\n", rep->repeats);
    fprintf(f, "- machine load when written: load average %.2f %.2f %.2f "
            "(1, 5, 15 min) on %d CPUs; %s\n", la[0], la[1], la[2],
            rep->nproc,
            la[1] > 0.5 * rep->nproc
                ? "the machine was shared with other work during this run"
                : "little else was running");
}

/* One SVG: x from column 0, one line per "... ns/op" column. */
static void plot(const bench_table *t, const char *dir, const char *name,
                 const char *xlabel, bool logx, bool xtic)
{
    if (t == NULL || t->nrows == 0)
        return;
    FILE *g = popen("gnuplot 2>/dev/null", "w");
    if (g == NULL)
        return;
    fprintf(g, "set terminal svg size 720,440 dynamic font 'sans,12'\n");
    fprintf(g, "set output '%s/%s'\n", dir, name);
    fprintf(g, "set title \"%s\"\nset xlabel \"%s\"\n", t->title, xlabel);
    fprintf(g, "set ylabel 'ns/op (wall / total ops)'\nset logscale y\n");
    fprintf(g, "set key outside right\nset grid\n");
    fprintf(g, "set datafile missing 'n/a'\n");
    if (logx)
        fprintf(g, "set logscale x\nset format x '%%g'\n");
    fprintf(g, "$d << EOD\n");
    for (int r = 0; r < t->nrows; r++) {
        for (int c = 0; c < t->ncols; c++)
            fprintf(g, "%s%s", c ? " " : "", t->rows[r][c]);
        fputc('\n', g);
    }
    fprintf(g, "EOD\nplot ");
    bool first = true;
    for (int c = 1; c < t->ncols; c++) {
        const char *h = t->head[c];
        size_t n = strlen(h);
        if (n < 6 || strcmp(h + n - 6, " ns/op") != 0)
            continue;
        fprintf(g, "%s$d using %s%d%s with linespoints title '%.*s'",
                first ? "" : ", ", xtic ? "0:" : "1:", c + 1,
                xtic ? ":xtic(1)" : "", (int)(n - 6), h);
        first = false;
    }
    fprintf(g, "\n");
    pclose(g);
}

int bench_write(const bench_report *rep, const bench_profile *p,
                const char *dir, const char *stem, FILE *out)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.md", dir, stem);
    FILE *md = fopen(path, "w");
    snprintf(path, sizeof path, "%s/%s.csv", dir, stem);
    FILE *csv = fopen(path, "w");
    if (md == NULL || csv == NULL) {
        fprintf(stderr, "bench: cannot write %s: %m\n", path);
        if (md != NULL)
            fclose(md);
        if (csv != NULL)
            fclose(csv);
        return -1;
    }
    header(md, rep, p);
    if (out != NULL)
        header(out, rep, p);
    FILE *hdr = tmpfile(); /* the header again, as CSV comment lines */
    if (hdr != NULL) {
        header(hdr, rep, p);
        rewind(hdr);
        char line[512];
        while (fgets(line, sizeof line, hdr) != NULL)
            if (line[0] == '-')
                fprintf(csv, "#%s", line + 1);
        fclose(hdr);
    }
    for (int i = 0; i < rep->n; i++) {
        bench_table_md(&rep->t[i], md);
        if (out != NULL)
            bench_table_md(&rep->t[i], out);
        bench_table_csv(&rep->t[i], csv, true);
    }
    fclose(md);
    fclose(csv);
    if (p->plots) {
        plot(bench_find(rep, "threads-reads"), dir, "plot-threads.svg",
             "threads", false, false);
        plot(bench_find(rep, "sizes-95"), dir, "plot-sizes.svg",
             "keys in the store", true, false);
        plot(bench_find(rep, "shares"), dir, "plot-shares.svg",
             "reads, % of operations", false, true);
    }
    return 0;
}
