/* custauth — Copyright 2026 The custauth Authors. SPDX-License-Identifier: Apache-2.0
 *
 * fork() and SQLite through the C ABI (issue 20, README "Processes and fork()"):
 *   1. A child that inherited an open handle on a SQLite file cannot open a new handle on that file
 *      (by any name of it): CUSTAUTH_EINVALID naming fork(), nothing written. It can still open
 *      other files, and its parent's handle keeps working.
 *   2. The rule a pre-forking host follows (close before fork(), open in each process after it)
 *      holds under load: writers, readers and a process that opens and closes handles, all at
 *      once on one file; no reader ever sees a storage error ("database disk image is
 *      malformed"), and every acknowledged create is in the file afterwards.
 * Usage: fork_sqlite_test SCRATCH_DIR */
#define _POSIX_C_SOURCE 200809L

#include <custauth/custauth.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int g_failures = 0;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      ++g_failures;                                                            \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                          \
  } while (0)

enum { kWriters = 4, kReaders = 3, kCreatesPerWriter = 150, kCloserRounds = 60 };
enum { kOpenerThreads = 4, kForks = 40 };

static char* g_keys = NULL; /* custauth_keys_generate, once, before any fork() */

static custauth_t* open_db(const char* path) {
  custauth_options o = CUSTAUTH_OPTIONS_INIT;
  custauth_t* db = NULL;
  o.keys_json = g_keys;
  o.argon2_opslimit = 1;
  o.argon2_memlimit = 8192;
  o.sqlite_busy_timeout_ms = 30000;
  if (custauth_open(&db, path, &o) != CUSTAUTH_OK) return NULL;
  return db;
}

static int create(custauth_t* db, const char* email) {
  char* out = NULL;
  int rc = custauth_customer_create(&out, db, email, "Fork", "Test", NULL, 0, NULL);
  custauth_free(out);
  return rc;
}

static int wait_child(pid_t pid) {
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return 200;
  return WIFEXITED(status) ? WEXITSTATUS(status)
                           : 100 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

/* 1. Inherited handle: the file is refused in the child, by its name and by another name. */
static void test_refused_after_fork(const char* dir) {
  char path[4096], other_name[4096], other_file[4096], key[4096];
  custauth_t* parent;
  pid_t pid;
  snprintf(path, sizeof path, "%s/fork_inherited.db", dir);
  snprintf(other_name, sizeof other_name, "sqlite:%s/./fork_inherited.db", dir);
  snprintf(other_file, sizeof other_file, "%s/fork_child_own.db", dir);
  unlink(path);
  unlink(other_file);
  snprintf(key, sizeof key, "%s/fork_inherited.key", dir);
  unlink(key);
  snprintf(key, sizeof key, "%s/fork_child_own.key", dir);
  unlink(key);
  parent = open_db(path);
  CHECK(parent != NULL);
  if (parent == NULL) return;
  CHECK(create(parent, "parent@example.com") == CUSTAUTH_OK);
  pid = fork();
  if (pid == 0) {
    int bad = 0;
    custauth_t* db = NULL;
    char* out = NULL;
    custauth_options o = CUSTAUTH_OPTIONS_INIT;
    o.keys_json = g_keys;
    if (custauth_open(&db, path, &o) != CUSTAUTH_EINVALID || db != NULL) bad |= 1;
    if (strstr(custauth_error_last(), "fork()") == NULL ||
        strstr(custauth_error_last(), "fork_inherited.db") == NULL) {
      bad |= 2;
    }
    if (custauth_open(&db, other_name, &o) != CUSTAUTH_EINVALID) bad |= 4;
    /* The inherited handle refuses every call. */
    if (custauth_customer_find(&out, parent, "parent@example.com", NULL) != CUSTAUTH_EINVALID) {
      bad |= 8;
    }
    custauth_close(parent); /* leaked, not closed */
    /* Still refused after that close: the inherited connections are still in this process. */
    if (custauth_open(&db, path, &o) != CUSTAUTH_EINVALID) bad |= 16;
    /* Another file opens. */
    db = open_db(other_file);
    if (db == NULL || create(db, "child@example.com") != CUSTAUTH_OK) bad |= 32;
    custauth_close(db);
    if (bad != 0) fprintf(stderr, "child: %d (%s)\n", bad, custauth_error_last());
    _exit(bad);
  }
  CHECK(pid > 0);
  CHECK(wait_child(pid) == 0);
  /* The parent's handle works, and the refused child wrote nothing to the file. */
  {
    char* out = NULL;
    CHECK(custauth_customer_find(&out, parent, "parent@example.com", NULL) == CUSTAUTH_OK);
    custauth_free(out);
    CHECK(custauth_customer_find(&out, parent, "child@example.com", NULL) == CUSTAUTH_ENOTFOUND);
  }
  CHECK(create(parent, "parent2@example.com") == CUSTAUTH_OK);
  custauth_close(parent);
  /* Closed before fork(): a child opens the file. */
  pid = fork();
  if (pid == 0) {
    custauth_t* db = open_db(path);
    int bad = db == NULL || create(db, "after-close@example.com") != CUSTAUTH_OK;
    custauth_close(db);
    _exit(bad);
  }
  CHECK(wait_child(pid) == 0);
}

/* 2. The rule under load. */
static void test_rule_under_load(const char* dir) {
  char path[4096], key[4096];
  char done[4200];
  pid_t writers[kWriters], readers[kReaders], closer;
  int i;
  custauth_t* db;
  snprintf(path, sizeof path, "%s/fork_load.db", dir);
  snprintf(key, sizeof key, "%s/fork_load.key", dir);
  snprintf(done, sizeof done, "%s.done", path);
  unlink(path);
  unlink(key);
  unlink(done);
  /* The parent creates the file and a customer, then closes its handle before forking. */
  db = open_db(path);
  CHECK(db != NULL);
  if (db == NULL) return;
  CHECK(create(db, "reader@example.com") == CUSTAUTH_OK);
  custauth_close(db);

  for (i = 0; i < kReaders; ++i) {
    readers[i] = fork();
    if (readers[i] == 0) {
      custauth_t* r;
      long reads = 0, errors = 0;
      r = open_db(path);
      if (r == NULL) _exit(1);
      for (;;) {
        char* out = NULL;
        int rc = custauth_customer_find(&out, r, "reader@example.com", NULL);
        custauth_free(out);
        ++reads;
        if (rc != CUSTAUTH_OK) {
          ++errors;
          fprintf(stderr, "reader: %d %s\n", rc, custauth_error_last());
        }
        /* Until the parent says the writers are done (a file beside the database). */
        if (reads % 50 == 0 && access(done, F_OK) == 0) break;
      }
      custauth_close(r);
      _exit(errors == 0 && reads > 0 ? 0 : 2);
    }
  }
  closer = fork();
  if (closer == 0) {
    /* Opens, writes and closes handles over and over: each close of this process's last
     * connection is where SQLite checkpoints and may reset the WAL. */
    int n, bad = 0;
    for (n = 0; n < kCloserRounds; ++n) {
      char email[64];
      custauth_t* c = open_db(path);
      snprintf(email, sizeof email, "closer-%d@example.com", n);
      if (c == NULL || create(c, email) != CUSTAUTH_OK) {
        fprintf(stderr, "closer: %s\n", custauth_error_last());
        bad = 1;
      }
      custauth_close(c);
    }
    _exit(bad);
  }
  for (i = 0; i < kWriters; ++i) {
    writers[i] = fork();
    if (writers[i] == 0) {
      int n, acked = 0;
      custauth_t* w;
      w = open_db(path);
      if (w == NULL) _exit(1);
      for (n = 0; n < kCreatesPerWriter; ++n) {
        char email[64];
        snprintf(email, sizeof email, "w%d-%d@example.com", i, n);
        if (create(w, email) == CUSTAUTH_OK) {
          ++acked;
        } else {
          fprintf(stderr, "writer %d: %s\n", i, custauth_error_last());
        }
      }
      custauth_close(w);
      _exit(acked == kCreatesPerWriter ? 0 : 3);
    }
  }
  for (i = 0; i < kWriters; ++i) CHECK(wait_child(writers[i]) == 0);
  CHECK(wait_child(closer) == 0);
  {
    FILE* f = fopen(done, "w");
    CHECK(f != NULL);
    if (f != NULL) fclose(f);
  }
  for (i = 0; i < kReaders; ++i) CHECK(wait_child(readers[i]) == 0);
  /* Every acknowledged create is there. */
  db = open_db(path);
  CHECK(db != NULL);
  if (db == NULL) return;
  {
    int w, n, missing = 0;
    for (w = 0; w < kWriters; ++w) {
      for (n = 0; n < kCreatesPerWriter; ++n) {
        char email[64];
        char* out = NULL;
        snprintf(email, sizeof email, "w%d-%d@example.com", w, n);
        if (custauth_customer_find(&out, db, email, NULL) != CUSTAUTH_OK) ++missing;
        custauth_free(out);
      }
    }
    for (n = 0; n < kCloserRounds; ++n) {
      char email[64];
      char* out = NULL;
      snprintf(email, sizeof email, "closer-%d@example.com", n);
      if (custauth_customer_find(&out, db, email, NULL) != CUSTAUTH_OK) ++missing;
      custauth_free(out);
    }
    CHECK(missing == 0);
    if (missing != 0) fprintf(stderr, "%d acknowledged creates are missing\n", missing);
  }
  custauth_close(db);
}

/* 3. fork() while other threads open and close handles on the file (the list of open SQLite files
 *    is locked across fork() by atfork handlers): every child's open is refused at once, none
 *    deadlocks on a lock another thread held at the fork. */
struct opener {
  const char* path;
  int* stop; /* read and written with __atomic builtins */
  int opened;
  int failed;
};

static void* opener_thread(void* arg) {
  struct opener* o = (struct opener*)arg;
  while (!__atomic_load_n(o->stop, __ATOMIC_ACQUIRE)) {
    custauth_t* db = open_db(o->path);
    if (db == NULL) {
      ++o->failed;
    } else {
      ++o->opened;
    }
    custauth_close(db);
  }
  return NULL;
}

__attribute__((unused)) static void test_fork_while_threads_open(const char* dir) {
  char path[4096], key[4096];
  custauth_t* held;
  pthread_t threads[kOpenerThreads];
  struct opener openers[kOpenerThreads];
  int stop = 0;
  int i, refused = 0;
  snprintf(path, sizeof path, "%s/fork_threads.db", dir);
  snprintf(key, sizeof key, "%s/fork_threads.key", dir);
  unlink(path);
  unlink(key);
  held = open_db(path); /* this process's handle: every child inherits it */
  CHECK(held != NULL);
  if (held == NULL) return;
  for (i = 0; i < kOpenerThreads; ++i) {
    openers[i].path = path;
    openers[i].stop = &stop;
    openers[i].opened = 0;
    openers[i].failed = 0;
    CHECK(pthread_create(&threads[i], NULL, opener_thread, &openers[i]) == 0);
  }
  for (i = 0; i < kForks; ++i) {
    pid_t pid = fork();
    if (pid == 0) {
      custauth_options o = CUSTAUTH_OPTIONS_INIT;
      custauth_t* db = NULL;
      o.keys_json = g_keys;
      _exit(custauth_open(&db, path, &o) == CUSTAUTH_EINVALID && db == NULL ? 0 : 1);
    }
    CHECK(pid > 0);
    if (pid > 0 && wait_child(pid) == 0) ++refused;
  }
  __atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
  for (i = 0; i < kOpenerThreads; ++i) {
    CHECK(pthread_join(threads[i], NULL) == 0);
    CHECK(openers[i].failed == 0);
    CHECK(openers[i].opened > 0);
  }
  CHECK(refused == kForks);
  custauth_close(held);
}

int main(int argc, char** argv) {
  const char* dir = argc > 1 ? argv[1] : ".";
  if (custauth_keys_generate(&g_keys) != CUSTAUTH_OK) return 1;
  test_refused_after_fork(dir);
  test_rule_under_load(dir);
#if defined(__SANITIZE_ADDRESS__)
  /* GCC 12's AddressSanitizer does not hold its allocator's locks across fork(): a child forked
   * while another thread is inside malloc can block forever in ASan's own allocator before it
   * reaches custauth (seen in CI: the child waits in SizeClassAllocator64::GetFromAllocator).
   * glibc's malloc and ThreadSanitizer take their locks across fork(), so part 3 runs in the
   * dev and thread-sanitizer builds (scripts/test), where a deadlock would be custauth's. */
  printf("fork_sqlite_test: part 3 runs in the dev and thread-sanitizer builds only\n");
#else
  test_fork_while_threads_open(dir);
#endif
  custauth_free(g_keys);
  if (g_failures != 0) {
    fprintf(stderr, "fork_sqlite_test: %d failures\n", g_failures);
    return 1;
  }
  printf("fork_sqlite_test: ok\n");
  return 0;
}
