/*
 * bench_audit: one measured run of spnpool_op_audit() on a plain ldb (no
 * rootDSE: the directory is set up with spnpool_dir_init() and the naming
 * contexts given on the command line), for selftest/bench/bench_audit.py.
 *
 *   bench_audit [--nommap] [--page-size N] [--all-classes]
 *               open|audit|raw URL DEFAULT_NC CONFIG_NC [NC...]
 *
 *   open   connect and spnpool_dir_init() only: the baseline of memory
 *   audit  spnpool_op_audit() over every NC given after DEFAULT_NC
 *   raw    the raw read of the same attribute, in C: for each NC, a
 *          subtree search (servicePrincipalName=*) asking only for
 *          servicePrincipalName, streamed to a callback that counts
 *          entries, values and bytes (what ldbsearch does, without
 *          writing LDIF)
 *
 * Prints one JSON object: wall seconds of the operation alone (audit: and
 * of its scan, up to the last progress call, before the findings are
 * worded), entries, values, distinct SPNs and findings (audit), bytes of
 * SPN values (raw),
 * ru_maxrss and the peak of anonymous resident memory sampled while
 * scanning (RSS minus file-backed pages: tdb maps the whole file, so a
 * full scan alone makes RSS grow by the file's size).  --nommap opens the
 * tdb without mmap, so that ru_maxrss itself counts only heap.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <ldb.h>
#include <talloc.h>

#include "spnpool.h"
#include "spnpool_private.h"

#define SAMPLE_EVERY 1000

struct sampler {
	double last_progress; /* CLOCK_MONOTONIC of the last progress call */
	uint64_t last_anon_kb; /* anonymous RSS then */
	long page_kb;
	uint64_t peak_anon_kb;
	uint64_t peak_file_kb;
	uint64_t calls;
};

/* Anonymous and file-backed resident memory (kB) from /proc/self/statm:
 * resident minus shared is what the process allocated itself. */
static uint64_t sample(struct sampler *s)
{
	unsigned long size = 0;
	unsigned long resident = 0;
	unsigned long shared = 0;
	uint64_t anon = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f == NULL) {
		return 0;
	}
	if (fscanf(f, "%lu %lu %lu", &size, &resident, &shared) == 3) {
		uint64_t file = (uint64_t)shared * (uint64_t)s->page_kb;

		anon = (uint64_t)(resident - shared) * (uint64_t)s->page_kb;
		if (anon > s->peak_anon_kb) {
			s->peak_anon_kb = anon;
		}
		if (file > s->peak_file_kb) {
			s->peak_file_kb = file;
		}
	}
	fclose(f);
	return anon;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Called every 1000 entries and once when the scan ends (before the
 * findings are worded): the last call splits scan from findings. */
static void progress_cb(void *private_data, uint64_t entries,
			uint64_t values)
{
	struct sampler *s = private_data;

	(void)entries;
	(void)values;
	s->last_anon_kb = sample(s);
	s->last_progress = now();
}

static long maxrss_kb(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0) {
		return -1;
	}
	return ru.ru_maxrss;
}

/* ---- raw: the same search, streamed, counting bytes ---- */

struct raw_state {
	struct sampler *sampler;
	uint64_t entries;
	uint64_t values;
	uint64_t bytes;
};

static int raw_callback(struct ldb_request *req, struct ldb_reply *ares)
{
	struct raw_state *st = req->context;

	if (ares == NULL) {
		return ldb_request_done(req, LDB_ERR_OPERATIONS_ERROR);
	}
	if (ares->error != LDB_SUCCESS) {
		int err = ares->error;

		talloc_free(ares);
		return ldb_request_done(req, err);
	}
	if (ares->type == LDB_REPLY_ENTRY) {
		struct ldb_message_element *el = ldb_msg_find_element(
			ares->message, "servicePrincipalName");

		if (el != NULL) {
			unsigned i;

			st->entries++;
			st->values += el->num_values;
			for (i = 0; i < el->num_values; i++) {
				st->bytes += el->values[i].length;
			}
			if (st->entries % SAMPLE_EVERY == 0) {
				sample(st->sampler);
			}
		}
	} else if (ares->type == LDB_REPLY_DONE) {
		talloc_free(ares);
		return ldb_request_done(req, LDB_SUCCESS);
	}
	talloc_free(ares);
	return LDB_SUCCESS;
}

static int raw_read(struct ldb_context *ldb, const char *const *ncs,
		    size_t num_ncs, struct raw_state *st)
{
	static const char *const attrs[] = {"servicePrincipalName", NULL};
	size_t i;

	for (i = 0; i < num_ncs; i++) {
		TALLOC_CTX *tmp = talloc_new(ldb);
		struct ldb_request *req = NULL;
		struct ldb_dn *base = ldb_dn_new(tmp, ldb, ncs[i]);
		int ret;

		if (tmp == NULL || base == NULL) {
			talloc_free(tmp);
			return LDB_ERR_OPERATIONS_ERROR;
		}
		ret = ldb_build_search_req(&req, ldb, tmp, base,
					   LDB_SCOPE_SUBTREE,
					   "(servicePrincipalName=*)",
					   (const char **)attrs, NULL, st,
					   raw_callback, NULL);
		if (ret == LDB_SUCCESS) {
			ret = ldb_request(ldb, req);
		}
		if (ret == LDB_SUCCESS) {
			ret = ldb_wait(req->handle, LDB_WAIT_ALL);
		}
		talloc_free(tmp);
		if (ret != LDB_SUCCESS && ret != LDB_ERR_NO_SUCH_OBJECT) {
			return ret;
		}
	}
	return LDB_SUCCESS;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: bench_audit [--nommap] [--page-size N] "
		"[--all-classes]\n"
		"                   open|audit|raw URL DEFAULT_NC CONFIG_NC "
		"[NC...]\n"
		"  the NCs scanned are DEFAULT_NC and the further NCs given\n");
	exit(2);
}

int main(int argc, char **argv)
{
	TALLOC_CTX *mem = talloc_new(NULL);
	struct ldb_context *ldb = NULL;
	struct spnpool_dir *dir = NULL;
	struct sampler sampler = {0};
	unsigned flags = 0;
	unsigned page_size = 0;
	bool all_classes = false;
	const char *mode = NULL;
	const char *url = NULL;
	const char *default_nc = NULL;
	const char *config_nc = NULL;
	const char **ncs = NULL;
	size_t num_ncs = 0;
	uint64_t base_anon_kb;
	long base_maxrss_kb;
	double t0;
	double wall;
	int i;
	int ret;

	for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		if (strcmp(argv[i], "--nommap") == 0) {
			flags |= LDB_FLG_NOMMAP;
		} else if (strcmp(argv[i], "--all-classes") == 0) {
			all_classes = true;
		} else if (strcmp(argv[i], "--page-size") == 0 &&
			   i + 1 < argc) {
			page_size = (unsigned)strtoul(argv[++i], NULL, 10);
		} else {
			usage();
		}
	}
	if (argc - i < 4 || mem == NULL) {
		usage();
	}
	mode = argv[i];
	url = argv[i + 1];
	default_nc = argv[i + 2];
	config_nc = argv[i + 3];
	if (strcmp(mode, "open") != 0 && strcmp(mode, "audit") != 0 &&
	    strcmp(mode, "raw") != 0) {
		usage();
	}
	/* scanned: DEFAULT_NC and any further NCs */
	ncs = talloc_array(mem, const char *, (size_t)(argc - i));
	if (ncs == NULL) {
		return 1;
	}
	ncs[num_ncs++] = default_nc;
	for (i += 4; i < argc; i++) {
		ncs[num_ncs++] = argv[i];
	}

	sampler.page_kb = sysconf(_SC_PAGESIZE) / 1024;
	ldb = ldb_init(mem, NULL);
	if (ldb == NULL) {
		fprintf(stderr, "bench_audit: ldb_init failed\n");
		return 1;
	}
	ret = ldb_connect(ldb, url, flags, NULL);
	if (ret != LDB_SUCCESS) {
		fprintf(stderr, "bench_audit: connect %s: %s\n", url,
			ldb_errstring(ldb));
		return 1;
	}
	ret = spnpool_dir_init(mem, ldb, true, default_nc, config_nc, ncs,
			       num_ncs, &dir);
	if (ret != LDB_SUCCESS) {
		fprintf(stderr, "bench_audit: spnpool_dir_init: %s\n",
			ldb_errstring(ldb));
		return 1;
	}
	sample(&sampler);
	base_anon_kb = sampler.peak_anon_kb;
	base_maxrss_kb = maxrss_kb();

	printf("{\"mode\": \"%s\", \"nommap\": %s, \"ncs\": %zu", mode,
	       (flags & LDB_FLG_NOMMAP) ? "true" : "false", num_ncs);
	t0 = now();
	if (strcmp(mode, "audit") == 0) {
		struct spnpool_audit_request req = {
			.all_classes = all_classes,
			.page_size = page_size,
			.progress = progress_cb,
			.progress_data = &sampler,
		};
		struct spnpool_audit_result *res = NULL;
		size_t counts[4] = {0};
		size_t k;

		ret = spnpool_op_audit(mem, dir, &req, &res);
		wall = now() - t0;
		if (ret != LDB_SUCCESS) {
			fprintf(stderr, "\nbench_audit: audit: %s\n",
				ldb_errstring(ldb));
			return 1;
		}
		for (k = 0; k < res->num_findings; k++) {
			if ((unsigned)res->findings[k].kind < 4) {
				counts[res->findings[k].kind]++;
			}
		}
		printf(", \"entries\": %" PRIu64 ", \"values\": %" PRIu64
		       ", \"distinct\": %" PRIu64 ", \"findings\": %zu"
		       ", \"scan_wall\": %.6f, \"scan_anon_kb\": %" PRIu64,
		       res->entries_read, res->values_read,
		       res->distinct_spns, res->num_findings,
		       sampler.last_progress > 0 ? sampler.last_progress - t0
						 : wall,
		       sampler.last_anon_kb);
		printf(", \"counts\": {");
		for (k = 0; k < 4; k++) {
			printf("%s\"%s\": %zu", k ? ", " : "",
			       spnpool_finding_name(
				       (enum spnpool_finding_kind)k),
			       counts[k]);
		}
		printf("}");
	} else if (strcmp(mode, "raw") == 0) {
		struct raw_state st = {.sampler = &sampler};

		ret = raw_read(ldb, ncs, num_ncs, &st);
		wall = now() - t0;
		if (ret != LDB_SUCCESS) {
			fprintf(stderr, "\nbench_audit: raw read: %s\n",
				ldb_errstring(ldb));
			return 1;
		}
		printf(", \"entries\": %" PRIu64 ", \"values\": %" PRIu64
		       ", \"spn_bytes\": %" PRIu64,
		       st.entries, st.values, st.bytes);
	} else {
		wall = now() - t0;
	}
	sample(&sampler);
	printf(", \"wall\": %.6f, \"base_anon_kb\": %" PRIu64
	       ", \"peak_anon_kb\": %" PRIu64 ", \"peak_file_kb\": %" PRIu64
	       ", \"base_maxrss_kb\": %ld, \"maxrss_kb\": %ld}\n",
	       wall, base_anon_kb, sampler.peak_anon_kb, sampler.peak_file_kb,
	       base_maxrss_kb, maxrss_kb());
	talloc_free(mem);
	return 0;
}
