/* nbody.c: an example app that is all floating point: the Sun and the four
 * giant planets moving under Newtonian gravity, integrated with a
 * symplectic Euler step of 0.01 years. It prints the system's total energy
 * before and after, so two runtimes can be checked against each other (the
 * well-known starting value is -0.169075164). `nbody.wasm STEPS` picks the
 * length (default 1000); bench/ runs it for about 1.5 s under wasm3. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define PI 3.141592653589793
/* units: astronomical units, years, and solar masses scaled so that G = 1 */
#define SOLAR_MASS (4 * PI * PI)
#define DAYS_PER_YEAR 365.24
#define NBODIES 5

struct body {
	double pos[3];
	double vel[3];
	double mass;
};

/* Positions in AU, velocities in AU per day (converted to AU per year at
 * start-up), masses in solar masses: the published JPL values. */
static struct body bodies[NBODIES] = {
	{ { 0, 0, 0 }, { 0, 0, 0 }, 1 }, /* the Sun */
	/* Jupiter */
	{ { 4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01 },
	  { 1.66007664274403694e-03, 7.69901118419740425e-03, -6.90460016972063023e-05 },
	  9.54791938424326609e-04 },
	/* Saturn */
	{ { 8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01 },
	  { -2.76742510726862411e-03, 4.99852801234917238e-03, 2.30417297573763929e-05 },
	  2.85885980666130812e-04 },
	/* Uranus */
	{ { 1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01 },
	  { 2.96460137564761618e-03, 2.37847173959480950e-03, -2.96589568540237556e-05 },
	  4.36624404335156298e-05 },
	/* Neptune */
	{ { 1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01 },
	  { 2.68067772490389322e-03, 1.62824170038242295e-03, -9.51592254519715870e-05 },
	  5.15138902046611451e-05 },
};

static void to_year_units(struct body *b, int n)
{
	for (int i = 0; i < n; i++) {
		for (int k = 0; k < 3; k++)
			b[i].vel[k] *= DAYS_PER_YEAR;
		b[i].mass *= SOLAR_MASS;
	}
}

/* Give the Sun the momentum that makes the system's total zero, so the
 * centre of mass stays put. */
static void offset_momentum(struct body *b, int n)
{
	double p[3] = { 0, 0, 0 };

	for (int i = 0; i < n; i++)
		for (int k = 0; k < 3; k++)
			p[k] += b[i].vel[k] * b[i].mass;
	for (int k = 0; k < 3; k++)
		b[0].vel[k] = -p[k] / SOLAR_MASS;
}

/* kinetic energy of every body minus the potential of every pair */
static double energy(const struct body *b, int n)
{
	double e = 0;

	for (int i = 0; i < n; i++) {
		const double *v = b[i].vel;

		e += 0.5 * b[i].mass * (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
		for (int j = i + 1; j < n; j++) {
			double d[3], r2 = 0;

			for (int k = 0; k < 3; k++) {
				d[k] = b[i].pos[k] - b[j].pos[k];
				r2 += d[k] * d[k];
			}
			e -= b[i].mass * b[j].mass / sqrt(r2);
		}
	}
	return e;
}

/* One step: every pair's pull updates both velocities, then every body
 * moves with its new velocity. */
static void advance(struct body *b, int n, double dt)
{
	for (int i = 0; i < n; i++) {
		for (int j = i + 1; j < n; j++) {
			double d[3], r2 = 0, mag;

			for (int k = 0; k < 3; k++) {
				d[k] = b[i].pos[k] - b[j].pos[k];
				r2 += d[k] * d[k];
			}
			mag = dt / (r2 * sqrt(r2));
			for (int k = 0; k < 3; k++) {
				b[i].vel[k] -= d[k] * b[j].mass * mag;
				b[j].vel[k] += d[k] * b[i].mass * mag;
			}
		}
	}
	for (int i = 0; i < n; i++)
		for (int k = 0; k < 3; k++)
			b[i].pos[k] += dt * b[i].vel[k];
}

int main(int argc, char **argv)
{
	long steps = argc > 1 ? atol(argv[1]) : 1000;

	if (steps < 0) {
		fprintf(stderr, "nbody: steps must be 0 or more, not %s\n", argv[1]);
		return 2;
	}
	to_year_units(bodies, NBODIES);
	offset_momentum(bodies, NBODIES);
	printf("%.9f\n", energy(bodies, NBODIES));
	for (long s = 0; s < steps; s++)
		advance(bodies, NBODIES, 0.01);
	printf("%.9f\n", energy(bodies, NBODIES));
	return 0;
}
