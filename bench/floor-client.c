/*
 * The machine's floor for bench/scale-wire.ts (issue #17): the same closed
 * loop vbench runs there, written as the least a client can do, so that its
 * error against the wire is what the machine (kernel, loopback, vCPUs, the
 * simulator beside it) costs any client, and vbench's error beyond it is
 * vbench's own.
 *
 *   cc -O2 -o floor-client bench/floor-client.c
 *   floor-client PORT STREAMS PROMPTS BODY OUT.jsonl [RATE]
 *
 * One thread, one epoll loop, STREAMS blocking-write / non-blocking-read
 * keep-alive connections to 127.0.0.1:PORT, every request's JSON body BODY.
 * Warm-up: one request on every connection, all finished before t0 (as
 * vbench's `warmups: STREAMS`). Then PROMPTS requests
 * at most STREAMS in flight: STREAMS sent at t0, each finished response
 * replaced at once on its connection; or, with RATE (requests/s), request i
 * due at t0 + i / RATE (a timerfd at the next due time), sent then on an idle
 * connection or, when none is idle, as soon as one is (calibrate's steady
 * level: `request_rate: RATE, burstiness: inf` under max_concurrency STREAMS). Each read is stamped (CLOCK_MONOTONIC)
 * as it returns, once per token-bearing SSE event in it ("text": as the
 * simulator's completions write it; an event split across two reads counts
 * where its marker falls). A response ends at the chunked terminator. No
 * parsing beyond that, no allocation in the loop, records written after the
 * run in the shape of vbench's requests.jsonl (the fields scale-compare.ts
 * reads). Prints one JSON line: the loop's CPU (getrusage) and wall time,
 * and the event-loop stall probe of the measured run: a 20 ms one-shot timer
 * (timerfd) re-armed as it fires, its lateness taken after the batch of reads
 * it came with, as a runtime runs a due timer after the socket callbacks of
 * the poll it falls in (vbench's probe, src/engine/client-monitor.ts).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

typedef struct {
  int fd;
  long request; /* index in flight on this connection, -1 when idle */
  char tail[8]; /* the last bytes read, to find a terminator split across reads */
  int tailLength;
} Conn;

static int port, streams;
static long prompts;
static int maxStamps; /* stamps kept per request */
static double *sentMs, *stampMs;
static int *stampCount;
static double t0;
static char *body;
static long bodyLength;
static double intervalMs; /* between due times; 0: every request due at t0 */
static Conn **idle;       /* connections with nothing in flight (steady arrivals only) */
static int idleCount;

static double nowMs(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

#define PROBE_MS 20
#define MAX_PROBES (1 << 16)
static double probeLateMs[MAX_PROBES];
static int probes;
static double probeDueMs;

static void armProbe(int timer) {
  struct itimerspec in = {.it_value = {.tv_sec = 0, .tv_nsec = PROBE_MS * 1000000L}};
  probeDueMs = nowMs() + PROBE_MS;
  timerfd_settime(timer, 0, &in, NULL);
}

static void fail(const char *what) {
  perror(what);
  exit(1);
}

static char *readFile(const char *path, long *length) {
  FILE *f = fopen(path, "rb");
  if (!f) fail(path);
  fseek(f, 0, SEEK_END);
  *length = ftell(f);
  rewind(f);
  char *bytes = malloc(*length + 1);
  if (fread(bytes, 1, *length, f) != (size_t)*length) fail(path);
  fclose(f);
  return bytes;
}

/* Sends request `index` (or a warm-up when index < 0) on `c`; the send stamp is taken just before the write. */
static void sendRequest(Conn *c, long index) {
  static char head[512];
  int headLength = snprintf(head, sizeof head,
                            "POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: application/json\r\n"
                            "Accept: text/event-stream\r\nx-request-id: %s-%ld\r\nContent-Length: %ld\r\n\r\n",
                            port, index < 0 ? "floor-warm" : "floor", index < 0 ? (long)c->fd : index, bodyLength);
  struct iovec parts[2] = {{head, (size_t)headLength}, {body, (size_t)bodyLength}};
  struct msghdr message = {.msg_iov = parts, .msg_iovlen = 2};
  c->request = index;
  c->tailLength = 0;
  if (index >= 0) sentMs[index] = nowMs() - t0;
  ssize_t total = headLength + bodyLength;
  ssize_t sent = sendmsg(c->fd, &message, MSG_NOSIGNAL);
  if (sent != total) fail("sendmsg (a partial write of a small request)");
}

static double dueMs(long index) { return t0 + index * intervalMs; }

/* Sends every request that is due while a connection is idle; arms `release` for the next one due. */
static void releaseDue(int release, long *next) {
  double now = nowMs();
  while (*next < prompts && idleCount > 0 && dueMs(*next) <= now) sendRequest(idle[--idleCount], (*next)++);
  if (*next >= prompts || idleCount == 0) return;
  double due = dueMs(*next) / 1e3;
  struct itimerspec at = {.it_value = {.tv_sec = (time_t)due, .tv_nsec = (long)((due - (time_t)due) * 1e9)}};
  timerfd_settime(release, TFD_TIMER_ABSTIME, &at, NULL);
}

static int tokenEvents(const char *bytes, ssize_t n) {
  int count = 0;
  const char *end = bytes + n;
  for (const char *at = bytes; (at = memmem(at, end - at, "\"text\":", 7)) != NULL; at += 7) count++;
  return count;
}

/* Whether the response on `c` ended with these bytes (the chunked terminator, possibly split across reads). */
static int ended(Conn *c, const char *bytes, ssize_t n) {
  static const char terminator[] = "\r\n0\r\n\r\n";
  const int k = sizeof terminator - 1;
  char last[16];
  int have = 0;
  if (n >= k) {
    memcpy(last, bytes + n - k, k);
    have = k;
  } else {
    int fromTail = c->tailLength < k - n ? c->tailLength : k - (int)n;
    memcpy(last, c->tail + c->tailLength - fromTail, fromTail);
    memcpy(last + fromTail, bytes, n);
    have = fromTail + (int)n;
  }
  memcpy(c->tail, last, have);
  c->tailLength = have;
  return have == k && memcmp(last, terminator, k) == 0;
}

int main(int argc, char **argv) {
  if (argc != 6 && argc != 7) {
    fprintf(stderr, "usage: floor-client PORT STREAMS PROMPTS BODY OUT.jsonl [RATE]\n");
    return 2;
  }
  port = atoi(argv[1]);
  streams = atoi(argv[2]);
  prompts = atol(argv[3]);
  body = readFile(argv[4], &bodyLength);
  intervalMs = argc == 7 ? 1e3 / atof(argv[6]) : 0;
  maxStamps = 1024; /* at least one per token of any response here */
  struct rlimit files = {streams + 64, streams + 64};
  if (setrlimit(RLIMIT_NOFILE, &files) != 0) {
    struct rlimit now;
    getrlimit(RLIMIT_NOFILE, &now);
    fprintf(stderr, "%d streams need %d open files; the hard limit is %llu (ulimit -Hn), raised only with CAP_SYS_RESOURCE: at most %llu streams\n",
            streams, streams + 64, (unsigned long long)now.rlim_max, (unsigned long long)now.rlim_max - 64);
    exit(1);
  }
  sentMs = calloc(prompts, sizeof *sentMs);
  stampMs = calloc((size_t)prompts * maxStamps, sizeof *stampMs);
  stampCount = calloc(prompts, sizeof *stampCount);
  if (!sentMs || !stampMs || !stampCount) fail("calloc");

  int loop = epoll_create1(0);
  Conn *conns = calloc(streams, sizeof *conns);
  struct sockaddr_in server = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  for (int i = 0; i < streams; i++) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) fail("socket");
    if (connect(fd, (struct sockaddr *)&server, sizeof server) != 0) fail("connect");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    conns[i] = (Conn){.fd = fd, .request = -1};
    struct epoll_event interest = {.events = EPOLLIN, .data.ptr = &conns[i]};
    if (epoll_ctl(loop, EPOLL_CTL_ADD, fd, &interest) != 0) fail("epoll_ctl");
  }

  /* The probe timer's epoll entry carries a null pointer: no connection. */
  int timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
  struct epoll_event timerInterest = {.events = EPOLLIN, .data.ptr = NULL};
  if (timer < 0 || epoll_ctl(loop, EPOLL_CTL_ADD, timer, &timerInterest) != 0) fail("timerfd");
  /* The release timer's entry points at this tag instead. */
  static char releaseTag;
  int release = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
  struct epoll_event releaseInterest = {.events = EPOLLIN, .data.ptr = &releaseTag};
  if (release < 0 || epoll_ctl(loop, EPOLL_CTL_ADD, release, &releaseInterest) != 0) fail("timerfd");
  idle = calloc(streams, sizeof *idle);

  static char buffer[1 << 16];
  struct epoll_event ready[256];
  long next = 0, finished = 0, warming = streams;
  int measuring = 0;
  for (int i = 0; i < streams; i++) sendRequest(&conns[i], -1);
  struct rusage before, after;
  double startedMs = 0;
  while (measuring ? finished < prompts : warming > 0) {
    int n = epoll_wait(loop, ready, 256, 10000);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail("epoll_wait (no response for 10 s)");
    int timerFired = 0;
    for (int e = 0; e < n; e++) {
      if (ready[e].data.ptr == &releaseTag) {
        unsigned long long expirations;
        if (read(release, &expirations, sizeof expirations) > 0) releaseDue(release, &next);
        continue;
      }
      Conn *c = ready[e].data.ptr;
      if (!c) {
        unsigned long long expirations;
        timerFired = read(timer, &expirations, sizeof expirations) > 0;
        continue;
      }
      for (;;) {
        ssize_t got = recv(c->fd, buffer, sizeof buffer, MSG_DONTWAIT);
        double at = nowMs() - t0;
        if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        if (got <= 0) fail("recv (the server closed a connection)");
        long r = c->request;
        if (r >= 0) {
          int events = tokenEvents(buffer, got);
          for (int k = 0; k < events && stampCount[r] < maxStamps; k++) stampMs[(size_t)r * maxStamps + stampCount[r]++] = at;
        }
        if (!ended(c, buffer, got)) continue;
        c->request = -1;
        if (r < 0) {
          warming--;
        } else {
          finished++;
          if (intervalMs == 0 && next < prompts) sendRequest(c, next++);
          else if (intervalMs > 0) {
            idle[idleCount++] = c;
            releaseDue(release, &next);
          }
        }
      }
    }
    if (timerFired && measuring) {
      double late = nowMs() - probeDueMs;
      if (probes < MAX_PROBES) probeLateMs[probes++] = late > 0 ? late : 0;
      armProbe(timer);
    }
    if (!measuring && warming == 0) {
      measuring = 1;
      armProbe(timer);
      getrusage(RUSAGE_SELF, &before);
      startedMs = nowMs();
      t0 = startedMs; /* the run clock starts here, as vbench's does after its warm-ups */
      if (intervalMs == 0) {
        for (int i = 0; i < streams && next < prompts; i++) sendRequest(&conns[i], next++);
      } else {
        for (int i = streams - 1; i >= 0; i--) idle[idleCount++] = &conns[i];
        releaseDue(release, &next);
      }
    }
  }
  getrusage(RUSAGE_SELF, &after);
  double wallMs = nowMs() - startedMs;

  struct timespec wall, mono;
  clock_gettime(CLOCK_REALTIME, &wall);
  clock_gettime(CLOCK_MONOTONIC, &mono);
  /* run clock (ms since t0) → wall clock: the offset between the two clocks now, read back to back */
  double epochT0 = wall.tv_sec * 1e3 + wall.tv_nsec / 1e6 - (mono.tv_sec * 1e3 + mono.tv_nsec / 1e6) + t0;
  FILE *out = fopen(argv[5], "w");
  if (!out) fail(argv[5]);
  for (long r = 0; r < prompts; r++) {
    fprintf(out, "{\"request_id\":\"floor-%ld\",\"success\":true,\"sent_ms\":%.6f,\"sent_epoch_ms\":%.6f,\"chunk_ms\":[", r, sentMs[r], epochT0 + sentMs[r]);
    for (int k = 0; k < stampCount[r]; k++) fprintf(out, "%s%.6f", k ? "," : "", stampMs[(size_t)r * maxStamps + k]);
    fprintf(out, "]}\n");
  }
  fclose(out);
  double cpuS = (after.ru_utime.tv_sec - before.ru_utime.tv_sec) + (after.ru_utime.tv_usec - before.ru_utime.tv_usec) / 1e6 +
                (after.ru_stime.tv_sec - before.ru_stime.tv_sec) + (after.ru_stime.tv_usec - before.ru_stime.tv_usec) / 1e6;
  printf("{\"cpu_s\":%.6f,\"wall_ms\":%.3f,\"involuntary_switches\":%ld,\"probe_late_ms\":[", cpuS, wallMs, after.ru_nivcsw - before.ru_nivcsw);
  for (int i = 0; i < probes; i++) printf("%s%.4f", i ? "," : "", probeLateMs[i]);
  printf("]}\n");
  return 0;
}
