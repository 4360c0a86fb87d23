/*
 * bench/release-wake.ts's helper: what one release wake costs when a thread
 * other than the reading one keeps the time, as vbench's release clocks do.
 * `release-wake N INTERVAL_MS`: a clock thread sleeps to N absolute deadlines
 * INTERVAL_MS apart (clock_nanosleep) and writes an eventfd at each; a
 * receiver thread sleeps in epoll_wait on it and reads it. Prints each
 * thread's CPU per wake in µs: `clock_us receiver_us`.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

static int efd;
static long count;
static double interval_ns;
static double clock_us, receiver_us;

static double thread_cpu_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static void *clock_thread(void *unused) {
  (void)unused;
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  double start = thread_cpu_us();
  for (long i = 1; i <= count; i++) {
    long long ns = (long long)t0.tv_nsec + (long long)(i * interval_ns);
    struct timespec due = {t0.tv_sec + (time_t)(ns / 1000000000LL), (long)(ns % 1000000000LL)};
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &due, NULL);
    uint64_t one = 1;
    if (write(efd, &one, 8) != 8) abort();
  }
  clock_us = (thread_cpu_us() - start) / count;
  return NULL;
}

static void *receiver_thread(void *unused) {
  (void)unused;
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = efd};
  epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev);
  double start = thread_cpu_us();
  for (uint64_t got = 0; got < (uint64_t)count;) {
    struct epoll_event out;
    uint64_t n;
    if (epoll_wait(ep, &out, 1, -1) == 1 && read(efd, &n, 8) == 8) got += n;
  }
  receiver_us = (thread_cpu_us() - start) / count;
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: release-wake N INTERVAL_MS\n");
    return 2;
  }
  count = atol(argv[1]);
  interval_ns = atof(argv[2]) * 1e6;
  efd = eventfd(0, 0);
  pthread_t clock, receiver;
  pthread_create(&receiver, NULL, receiver_thread, NULL);
  usleep(100000); // the receiver is asleep in epoll_wait before the first wake
  pthread_create(&clock, NULL, clock_thread, NULL);
  pthread_join(clock, NULL);
  pthread_join(receiver, NULL);
  printf("%.2f %.2f\n", clock_us, receiver_us);
  return 0;
}
