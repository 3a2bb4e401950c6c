// SPDX-License-Identifier: GPL-2.0
/*
 * wakelat: the wake-up latency of NR threads that may run on any CPU, for
 * make bench and bench/ab.sh. Each thread sleeps until the next multiple
 * of INTERVAL_US from a common start (clock_nanosleep(TIMER_ABSTIME) on
 * CLOCK_MONOTONIC), as cyclictest's threads do, and records how late it
 * woke. cyclictest pins each of its threads to a CPU, and a scheduler may
 * treat a pinned task apart; these keep the affinity they inherit. Prints
 * every sample as cyclictest -v does, "THREAD: PERIOD: US", for the
 * scripts to read with cyclictest's:
 *
 *   wakelat NR INTERVAL_US SECS
 *
 * and on stderr, in how many periods every thread went to sleep on one CPU
 * (its timer's CPU). WAKELAT_PIN=same pins every thread to CPU 0, apart
 * thread i to CPU i, for the design notes in the README.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long start_ns, interval_ns, nr_periods;

struct waker {
	pthread_t	thread;
	long		*late_us;	/* one per period woken */
	long		*period;	/* the period each was for */
	int		*cpu;		/* the CPU it went to sleep on */
	long		n;
	int		pin;		/* the CPU to pin to, or -1 */
};

static long ts_ns(const struct timespec *ts)
{
	return ts->tv_sec * 1000000000L + ts->tv_nsec;
}

static void *wake_loop(void *arg)
{
	struct waker *w = arg;
	long k, next, now;
	struct timespec ts;

	if (w->pin >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(w->pin, &set);
		if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set))
			fprintf(stderr, "wakelat: cannot pin to CPU %d\n", w->pin);
	}
	for (k = 1; k <= nr_periods; k++) {
		next = start_ns + k * interval_ns;
		ts.tv_sec = next / 1000000000L;
		ts.tv_nsec = next % 1000000000L;
		w->cpu[w->n] = sched_getcpu();
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		clock_gettime(CLOCK_MONOTONIC, &ts);
		now = ts_ns(&ts);
		w->period[w->n] = k;
		w->late_us[w->n++] = (now - next) / 1000;
		/* periods slept through are skipped, as in cyclictest */
		while (k < nr_periods && start_ns + (k + 1) * interval_ns <= now)
			k++;
	}
	return NULL;
}

/* WAKELAT_PIN: the CPU thread @i is pinned to, or -1 */
static int pin_cpu(long i)
{
	const char *pin = getenv("WAKELAT_PIN");

	if (!pin || !*pin)
		return -1;
	if (!strcmp(pin, "same"))
		return 0;
	if (!strcmp(pin, "apart"))
		return i;
	fprintf(stderr, "wakelat: WAKELAT_PIN is same or apart, not '%s'\n",
		pin);
	exit(2);
}

/* In how many periods every one of @nr threads slept on one CPU. */
static void report_cpus(const struct waker *w, long nr)
{
	long i, j, k, one = 0, all = 0;
	int *seen = calloc(nr_periods + 1, sizeof(*seen));
	int *cpu = calloc(nr_periods + 1, sizeof(*cpu));

	if (!seen || !cpu)
		return;
	for (i = 0; i < nr; i++) {
		for (j = 0; j < w[i].n; j++) {
			k = w[i].period[j];
			if (!seen[k]++)
				cpu[k] = w[i].cpu[j];
			else if (cpu[k] != w[i].cpu[j])
				cpu[k] = -1;
		}
	}
	for (k = 1; k <= nr_periods; k++) {
		if (seen[k] != nr)
			continue;
		all++;
		one += cpu[k] >= 0;
	}
	fprintf(stderr, "wakelat: every thread slept on one CPU in %ld of %ld periods\n",
		one, all);
	free(seen);
	free(cpu);
}

int main(int argc, char **argv)
{
	long nr, secs, i, j, *late, *periods;
	struct timespec ts;
	struct waker *w;
	int *cpus;

	if (argc != 4) {
		fprintf(stderr, "usage: wakelat NR INTERVAL_US SECS\n");
		return 2;
	}
	nr = atol(argv[1]);
	interval_ns = atol(argv[2]) * 1000L;
	secs = atol(argv[3]);
	if (nr < 1 || interval_ns < 100000L || secs < 1) {
		fprintf(stderr, "wakelat: NR >= 1, INTERVAL_US >= 100, SECS >= 1\n");
		return 2;
	}
	nr_periods = secs * 1000000000L / interval_ns;
	w = calloc(nr, sizeof(*w));
	late = calloc(nr * nr_periods, sizeof(*late));
	periods = calloc(nr * nr_periods, sizeof(*periods));
	cpus = calloc(nr * nr_periods, sizeof(*cpus));
	if (!w || !late || !periods || !cpus) {
		perror("wakelat: calloc");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	start_ns = ts_ns(&ts);
	for (i = 0; i < nr; i++) {
		w[i].late_us = late + i * nr_periods;
		w[i].period = periods + i * nr_periods;
		w[i].cpu = cpus + i * nr_periods;
		w[i].pin = pin_cpu(i);
		if (pthread_create(&w[i].thread, NULL, wake_loop, &w[i])) {
			perror("wakelat: pthread_create");
			return 1;
		}
	}
	for (i = 0; i < nr; i++)
		pthread_join(w[i].thread, NULL);
	/* printed only now: stdout must not hold up a thread's wake-up */
	for (i = 0; i < nr; i++)
		for (j = 0; j < w[i].n; j++)
			printf("%ld: %ld: %ld\n", i, w[i].period[j],
			       w[i].late_us[j]);
	fflush(stdout);
	report_cpus(w, nr);
	return 0;
}
