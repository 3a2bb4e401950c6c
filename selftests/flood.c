// SPDX-License-Identifier: GPL-2.0
/*
 * flood: start NR threads that wait at a barrier, release them all at once
 * and let each spin for LOOPS iterations, so that NR tasks are runnable
 * together; print the wall time of the whole flood, from the first thread
 * created to the last one joined, in ms. (The release alone is no measure:
 * by the time main() returns from the barrier, the threads have run.)
 * For the fault selftests (faults.sh, test "flood").
 *
 *   flood NR LOOPS
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static pthread_barrier_t start;
static unsigned long loops;

static void *spin(void *arg)
{
	unsigned long i;

	pthread_barrier_wait(&start);
	/* the empty asm keeps the compiler from dropping the loop */
	for (i = 0; i < loops; i++)
		asm volatile("" ::: "memory");
	return NULL;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	unsigned long nr, i;
	pthread_attr_t attr;
	pthread_t *tids;
	double t0;

	if (argc != 3) {
		fprintf(stderr, "usage: flood NR LOOPS\n");
		return 2;
	}
	nr = strtoul(argv[1], NULL, 10);
	loops = strtoul(argv[2], NULL, 10);
	tids = calloc(nr, sizeof(*tids));
	if (!nr || !tids)
		return 2;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	pthread_barrier_init(&start, NULL, nr + 1);
	t0 = now_ms();
	for (i = 0; i < nr; i++) {
		if (pthread_create(&tids[i], &attr, spin, NULL)) {
			fprintf(stderr, "flood: thread %lu: cannot create\n", i);
			return 1;
		}
	}
	pthread_barrier_wait(&start);
	for (i = 0; i < nr; i++)
		pthread_join(tids[i], NULL);
	printf("%.0f\n", now_ms() - t0);
	return 0;
}
