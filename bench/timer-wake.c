/*
 * bench/timer-wake.ts's helper: `timer-wake wake N` sleeps to N absolute
 * deadlines 20 ms apart (clock_nanosleep, CLOCK_MONOTONIC) and prints how late
 * each wake-up was, in ms, one per line; `timer-wake spin` only burns CPU (run
 * under SCHED_IDLE it keeps its CPU from idling without taking it from anyone).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double ms(const struct timespec *t) { return t->tv_sec * 1e3 + t->tv_nsec / 1e6; }

int main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "spin") == 0) {
    for (volatile unsigned long x = 0;; x++) {}
  }
  if (argc < 3 || strcmp(argv[1], "wake") != 0) {
    fprintf(stderr, "usage: timer-wake wake N | timer-wake spin\n");
    return 2;
  }
  int n = atoi(argv[2]);
  struct timespec due, now;
  clock_gettime(CLOCK_MONOTONIC, &due);
  for (int i = 0; i < n; i++) {
    due.tv_nsec += 20000000;
    if (due.tv_nsec >= 1000000000) { due.tv_nsec -= 1000000000; due.tv_sec++; }
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &due, NULL);
    clock_gettime(CLOCK_MONOTONIC, &now);
    printf("%.4f\n", ms(&now) - ms(&due));
  }
  return 0;
}
