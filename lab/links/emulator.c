/*
 * mpl-link: one emulated link between two network namespaces, in the style of
 * Mahimahi's packet shells. It owns a TUN device of the same name in each
 * namespace and moves IP packets between them:
 *
 *   loss (random + Gilbert-Elliott) -> byte-bounded FIFO (drop when full)
 *   -> serialisation at the rate -> propagation delay + jitter (never reordered)
 *   -> write to the other TUN.
 *
 * Jitter is a process in time, not a draw per packet: per direction it holds a value
 * drawn uniformly from [-jitter, +jitter], then ramps linearly to the next draw, in
 * segments of JITTER_SEGMENT_FACTOR x jitter (half hold, half ramp). Its
 * slope never exceeds 0.5, so a packet that leaves the queue after another is also due
 * after it: nothing is reordered and nothing needs clamping, under any load. (Drawing
 * per packet and clamping each due time to the previous one's, as before, raised the
 * mean delay under load and narrowed its spread.) Packets see the process at their
 * departure, so its time average is theirs: mean delay = configured delay, spread
 * (standard deviation) ~0.91 x that of a uniform +-jitter (the ramps), the extremes
 * reached in the holds.
 *
 * up = local -> remote, down = remote -> local. Single thread: epoll over both
 * TUNs, stdin (commands) and one timerfd armed with absolute CLOCK_MONOTONIC
 * times. The devices are not persistent: they vanish when this process exits.
 * The devices are set up (IFF_UP) with MTU 1500 here; addresses are the caller's.
 * The rate and the queue limit count IP bytes (TUN without packet information, so
 * no GSO: TCP segments cross one MSS at a time, ~96.5 % payload at MTU 1500).
 * It runs at SCHED_FIFO priority where allowed (see main) so that packets leave
 * within ~0.1 ms of their due time on a busy machine.
 *
 * Usage:
 *   mpl-link --local NS --remote NS --dev NAME [--seed N] [--rt-priority N]
 *            --up SPEC --down SPEC
 *   SPEC = rate=<bit/s>,delay_us=<us>,jitter_us=<us>,loss=<0..1>,
 *          ge_enter=<0..1>,ge_exit=<0..1>,ge_loss=<0..1>,queue=<bytes>
 *   (rate and queue are required; the others default to 0, ge_exit to 1)
 *
 * stdout: JSON lines. {"event":"ready",...,"rtPriority":N} once both devices are up
 * (N = the SCHED_FIFO priority granted, 0 if none), then exactly
 * one reply line per command. stdin: commands, one a line:
 *   outage on | outage off | rate up|down <bit/s> | stats | quit
 * EOF on stdin quits, so the link dies with the program that started it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define MTU 1500
#define MAX_PACKET 65536
/* Lateness histogram: 1 us buckets up to 100 ms, the rest in the last bucket. */
#define LATENESS_BUCKETS 100000
/* SCHED_FIFO priority (1-99; 0 = normal scheduling): see main(). */
#define DEFAULT_RT_PRIORITY 10
/* Jitter segment length per unit of jitter: 8 keeps the ramp's slope at most 2 x jitter / (segment / 2) = 0.5. */
#define JITTER_SEGMENT_FACTOR 8
#define JITTER_STRATA 8

typedef int64_t ns_t;

struct packet {
    struct packet *next;
    ns_t arrival_ns;   /* when it was read from the device */
    ns_t departure_ns; /* when its last bit leaves the queue (serialisation done) */
    ns_t jitter_ns;    /* drawn once, kept for a rate change's recomputation */
    ns_t due_ns;       /* when it must be written to the other device */
    size_t len;
    unsigned char data[];
};

struct fifo {
    struct packet *head, *tail;
};

/* The jitter process of one direction: from `from_ns` (held until the segment's middle)
 * ramping to `to_ns` at its end. Values are drawn stratified: each run of
 * JITTER_STRATA segments takes one value from each of JITTER_STRATA equal slices of
 * [-jitter, +jitter], in random order, so the mean is the configured delay over every
 * few hundred ms rather than only in the long run. */
struct jitter_process {
    uint64_t rng_state;
    double strata[JITTER_STRATA]; /* this run's values in [-1, 1), used from `next` on */
    int next;
    bool started;
    ns_t segment_start_ns, segment_ns;
    ns_t from_ns, to_ns;
};

/* Running mean and variance (Welford), for the applied delay. */
struct running_stats {
    uint64_t n;
    double mean, m2;
};

struct direction_model {
    double rate_bps;
    ns_t delay_ns;
    ns_t jitter_ns;
    double loss;
    double ge_enter, ge_exit, ge_loss;
    size_t queue_bytes;
};

struct direction {
    const char *name;
    struct direction_model m;
    int in_fd, out_fd;
    bool ge_bad;            /* Gilbert-Elliott state */
    /* Each direction draws from its own generator, so its losses depend only on its own
     * packet sequence and the seed, not on how the two directions interleave in time. */
    uint64_t rng_state;
    /* Jitter has its own generator: losses stay a function of the packet sequence alone. */
    struct jitter_process jitter;
    /* Every accepted packet, in order. Departure and due times are fixed on arrival
     * (both never decrease), so the queue is the tail of packets not yet departed
     * and only writes need a timer: one wakeup per packet. */
    struct fifo packets;
    struct packet *waiting; /* first packet still in the queue (not departed), or NULL */
    size_t queued_bytes;    /* bytes of the packets from `waiting` on */
    ns_t last_departure_ns; /* the link is busy serialising until then */
    ns_t last_due_ns;       /* due times never decrease: no reordering */
    ns_t last_arrival_ns;   /* the last packet read from the device, kept or dropped (0: none yet) */
    size_t in_flight_bytes; /* bytes of the departed packets not yet written (on the "wire") */
    uint64_t arrived_packets, arrived_bytes;
    uint64_t sent_packets, sent_bytes, loss_drops, queue_drops, outage_drops, write_errors;
    /* Due times raised to the previous packet's (only after a rate change: see schedule). */
    uint64_t clamped_packets;
    /* Applied delay of every written packet: write time - end of its serialisation. */
    struct running_stats applied_delay;
    uint32_t *lateness_hist;
    uint64_t lateness_count;
    ns_t lateness_max_ns;
};

static uint64_t seed = 1;
static bool outage;

static void die(const char *what) {
    fprintf(stderr, "mpl-link: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void fail(const char *msg, const char *arg) {
    fprintf(stderr, "mpl-link: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
    exit(2);
}

static ns_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (ns_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* splitmix64: small, good enough for loss and jitter, reproducible from the seed. */
static uint64_t rng_next(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static double rng_uniform(uint64_t *state) {
    return (double)(rng_next(state) >> 11) * (1.0 / 9007199254740992.0);
}

static ns_t jitter_draw(struct jitter_process *j, ns_t jitter_ns) {
    if (j->next == 0 || j->next >= JITTER_STRATA) {
        for (int i = 0; i < JITTER_STRATA; i++) j->strata[i] = ((double)i + rng_uniform(&j->rng_state)) * 2.0 / JITTER_STRATA - 1.0;
        for (int i = JITTER_STRATA - 1; i > 0; i--) { /* Fisher-Yates */
            int k = (int)(rng_uniform(&j->rng_state) * (double)(i + 1));
            double swap = j->strata[i]; j->strata[i] = j->strata[k]; j->strata[k] = swap;
        }
        j->next = 0;
    }
    return (ns_t)(j->strata[j->next++] * (double)jitter_ns);
}

/* The jitter process's value at time t. Times come in non-decreasing order (departures);
 * after a pause longer than one segment it starts afresh from a new draw, which keeps
 * due times in order since a segment is longer than twice the jitter. */
static ns_t jitter_at(struct jitter_process *j, ns_t jitter_ns, ns_t t) {
    if (jitter_ns <= 0) return 0;
    j->segment_ns = jitter_ns * JITTER_SEGMENT_FACTOR;
    if (!j->started || t >= j->segment_start_ns + 2 * j->segment_ns) {
        j->started = true;
        j->segment_start_ns = t;
        j->from_ns = jitter_draw(j, jitter_ns);
        j->to_ns = jitter_draw(j, jitter_ns);
    }
    while (t >= j->segment_start_ns + j->segment_ns) {
        j->segment_start_ns += j->segment_ns;
        j->from_ns = j->to_ns;
        j->to_ns = jitter_draw(j, jitter_ns);
    }
    ns_t half = j->segment_ns / 2, into = t - j->segment_start_ns;
    if (into <= half) return j->from_ns;
    return j->from_ns + (ns_t)((double)(j->to_ns - j->from_ns) * (double)(into - half) / (double)(j->segment_ns - half));
}

static void running_add(struct running_stats *r, double x) {
    r->n++;
    double delta = x - r->mean;
    r->mean += delta / (double)r->n;
    r->m2 += delta * (x - r->mean);
}

static double running_sd(const struct running_stats *r) {
    return r->n > 1 ? sqrt(r->m2 / (double)(r->n - 1)) : 0;
}

static void fifo_push(struct fifo *f, struct packet *p) {
    p->next = NULL;
    if (f->tail) f->tail->next = p; else f->head = p;
    f->tail = p;
}

static struct packet *fifo_pop(struct fifo *f) {
    struct packet *p = f->head;
    if (p) {
        f->head = p->next;
        if (!f->head) f->tail = NULL;
    }
    return p;
}

static double parse_number(const char *value, const char *key) {
    char *end;
    errno = 0;
    double v = strtod(value, &end);
    if (errno || end == value || *end != '\0' || v < 0) fail("bad number for", key);
    return v;
}

static void parse_probability(const char *value, const char *key, double *out) {
    *out = parse_number(value, key);
    if (*out > 1) fail("probability above 1 for", key);
}

static struct direction_model parse_spec(const char *spec_in) {
    struct direction_model m = { .ge_exit = 1 };
    bool have_rate = false, have_queue = false;
    char *spec = strdup(spec_in), *save = NULL;
    if (!spec) die("strdup");
    for (char *item = strtok_r(spec, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(item, '=');
        if (!eq) fail("expected key=value in link spec, got", item);
        *eq = '\0';
        const char *key = item, *value = eq + 1;
        if (!strcmp(key, "rate")) { m.rate_bps = parse_number(value, key); have_rate = true; }
        else if (!strcmp(key, "delay_us")) m.delay_ns = (ns_t)(parse_number(value, key) * 1000);
        else if (!strcmp(key, "jitter_us")) m.jitter_ns = (ns_t)(parse_number(value, key) * 1000);
        else if (!strcmp(key, "loss")) parse_probability(value, key, &m.loss);
        else if (!strcmp(key, "ge_enter")) parse_probability(value, key, &m.ge_enter);
        else if (!strcmp(key, "ge_exit")) parse_probability(value, key, &m.ge_exit);
        else if (!strcmp(key, "ge_loss")) parse_probability(value, key, &m.ge_loss);
        else if (!strcmp(key, "queue")) { m.queue_bytes = (size_t)parse_number(value, key); have_queue = true; }
        else fail("unknown key in link spec", key);
    }
    free(spec);
    if (!have_rate || m.rate_bps < 1) fail("link spec needs rate=<bit/s> >= 1", spec_in);
    if (!have_queue || m.queue_bytes < MTU) fail("link spec needs queue=<bytes> >= 1500", spec_in);
    if (m.jitter_ns > m.delay_ns) fail("jitter above delay in", spec_in);
    return m;
}

static int open_netns(const char *name) {
    char path[512];
    if (snprintf(path, sizeof path, "/run/netns/%s", name) >= (int)sizeof path) fail("namespace name too long", name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) { fprintf(stderr, "mpl-link: namespace %s: %s\n", name, strerror(errno)); exit(1); }
    return fd;
}

/* Creates the TUN device in the namespace that is current, sets MTU and IFF_UP. */
static int create_tun(const char *dev) {
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) die("open /dev/net/tun");
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
    strncpy(ifr.ifr_name, dev, IFNAMSIZ - 1);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) die("TUNSETIFF");

    /* The socket belongs to the current namespace, so its ioctls reach this device. */
    int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock < 0) die("socket");
    ifr.ifr_mtu = MTU;
    if (ioctl(sock, SIOCSIFMTU, &ifr) < 0) die("SIOCSIFMTU");
    if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0) die("SIOCGIFFLAGS");
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0) die("SIOCSIFFLAGS");
    close(sock);
    return fd;
}

static bool lose(struct direction *d) {
    bool lost = false;
    if (d->m.ge_enter > 0) {
        if (d->ge_bad && rng_uniform(&d->rng_state) < d->m.ge_loss) lost = true;
        /* Transition after the decision: the stationary loss rate is the same either way. */
        if (d->ge_bad) { if (rng_uniform(&d->rng_state) < d->m.ge_exit) d->ge_bad = false; }
        else if (rng_uniform(&d->rng_state) < d->m.ge_enter) d->ge_bad = true;
    }
    if (d->m.loss > 0 && rng_uniform(&d->rng_state) < d->m.loss) lost = true;
    return lost;
}

static ns_t serialisation_ns(const struct direction *d, size_t len) {
    return (ns_t)((double)len * 8.0 * 1e9 / d->m.rate_bps);
}

/* Packets whose serialisation has finished leave the queue (they stay in flight). */
static void leave_queue(struct direction *d, ns_t now) {
    while (d->waiting && d->waiting->departure_ns <= now) {
        d->queued_bytes -= d->waiting->len;
        d->in_flight_bytes += d->waiting->len;
        d->waiting = d->waiting->next;
    }
}

/* Departure: serialised after the packet before it (or at arrival if the link is idle);
 * due: then the propagation delay and the jitter process at the departure. Departures
 * never decrease and the process's slope is above -1, so due times never decrease
 * either; the clamp only acts when a rate change re-schedules queued packets (which
 * keep the jitter they were given), and is counted. */
static void schedule(struct direction *d, struct packet *p) {
    ns_t start = p->arrival_ns > d->last_departure_ns ? p->arrival_ns : d->last_departure_ns;
    p->departure_ns = start + serialisation_ns(d, p->len);
    d->last_departure_ns = p->departure_ns;
    ns_t due = p->departure_ns + d->m.delay_ns + p->jitter_ns;
    if (due < d->last_due_ns) { due = d->last_due_ns; d->clamped_packets++; }
    p->due_ns = d->last_due_ns = due;
}

static void accept_packet(struct direction *d, const unsigned char *buf, size_t len, ns_t now) {
    d->arrived_packets++;
    d->arrived_bytes += len;
    d->last_arrival_ns = now;
    if (outage) { d->outage_drops++; return; }
    if (lose(d)) { d->loss_drops++; return; }
    leave_queue(d, now);
    if (d->queued_bytes + len > d->m.queue_bytes) { d->queue_drops++; return; }
    struct packet *p = malloc(sizeof *p + len);
    if (!p) die("malloc");
    memcpy(p->data, buf, len);
    p->len = len;
    p->arrival_ns = now;
    /* The process at the departure this packet will have (schedule computes the same start). */
    ns_t start = now > d->last_departure_ns ? now : d->last_departure_ns;
    p->jitter_ns = jitter_at(&d->jitter, d->m.jitter_ns, start + serialisation_ns(d, len));
    schedule(d, p);
    fifo_push(&d->packets, p);
    if (!d->waiting) d->waiting = p;
    d->queued_bytes += len;
}

/* A new rate applies from the packet after the one being serialised now. */
static void set_rate(struct direction *d, double rate_bps, ns_t now) {
    leave_queue(d, now);
    d->m.rate_bps = rate_bps;
    struct packet *on_wire = d->waiting;
    if (!on_wire) return;
    d->last_departure_ns = on_wire->departure_ns;
    d->last_due_ns = on_wire->due_ns;
    for (struct packet *p = on_wire->next; p; p = p->next) schedule(d, p);
}

static void record_lateness(struct direction *d, ns_t late_ns) {
    if (late_ns < 0) late_ns = 0;
    int64_t bucket = late_ns / 1000;
    if (bucket >= LATENESS_BUCKETS) bucket = LATENESS_BUCKETS - 1;
    d->lateness_hist[bucket]++;
    d->lateness_count++;
    if (late_ns > d->lateness_max_ns) d->lateness_max_ns = late_ns;
}

/* Writes every packet whose due time has come to the other device. */
static void advance(struct direction *d, ns_t now) {
    leave_queue(d, now);
    while (d->packets.head && d->packets.head->due_ns <= now) {
        struct packet *p = fifo_pop(&d->packets);
        ns_t write_ns = now_ns();
        d->in_flight_bytes -= p->len;
        if (write(d->out_fd, p->data, p->len) == (ssize_t)p->len) {
            d->sent_packets++;
            d->sent_bytes += p->len;
            record_lateness(d, write_ns - p->due_ns);
            running_add(&d->applied_delay, (double)(write_ns - p->departure_ns));
        } else {
            d->write_errors++;
        }
        free(p);
    }
}

static uint64_t drop_all(struct fifo *f) {
    uint64_t n = 0;
    for (struct packet *p; (p = fifo_pop(f)); n++) free(p);
    return n;
}

static void start_outage(struct direction *d) {
    d->outage_drops += drop_all(&d->packets);
    d->waiting = NULL;
    d->queued_bytes = 0;
    d->in_flight_bytes = 0;
}

/* When the next write is due in this direction, or INT64_MAX. */
static ns_t next_event(const struct direction *d) {
    return d->packets.head ? d->packets.head->due_ns : INT64_MAX;
}

/* One packet per readiness: epoll is level-triggered and reports the rest, which
 * saves the read that would only return EAGAIN (most wakeups carry one packet). */
static void read_device(struct direction *d, unsigned char *buf) {
    ssize_t n = read(d->in_fd, buf, MAX_PACKET);
    if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) return;
        die("read tun");
    }
    if (n > 0) accept_packet(d, buf, (size_t)n, now_ns());
}

static uint64_t lateness_quantile_us(const struct direction *d, double q) {
    if (d->lateness_count == 0) return 0;
    uint64_t rank = (uint64_t)(q * (double)d->lateness_count);
    if (rank >= d->lateness_count) rank = d->lateness_count - 1;
    uint64_t seen = 0;
    for (int i = 0; i < LATENESS_BUCKETS; i++) {
        seen += d->lateness_hist[i];
        if (seen > rank) return (uint64_t)i + 1; /* upper edge of the 1 us bucket */
    }
    return LATENESS_BUCKETS;
}

static void print_direction(const struct direction *d, ns_t now) {
    printf("\"%s\":{\"sentPackets\":%" PRIu64 ",\"sentBytes\":%" PRIu64 ",\"lossDrops\":%" PRIu64
           ",\"queueDrops\":%" PRIu64 ",\"outageDrops\":%" PRIu64 ",\"writeErrors\":%" PRIu64
           ",\"arrivedPackets\":%" PRIu64 ",\"arrivedBytes\":%" PRIu64 ",\"idleUs\":%" PRId64
           ",\"queuedBytes\":%zu,\"inFlightBytes\":%zu,\"rateBitsPerSec\":%.0f"
           ",\"latenessP50Us\":%" PRIu64 ",\"latenessP99Us\":%" PRIu64 ",\"latenessMaxUs\":%" PRId64
           ",\"appliedDelayMeanUs\":%.1f,\"appliedDelaySdUs\":%.1f,\"clampedPackets\":%" PRIu64 "}",
           d->name, d->sent_packets, d->sent_bytes, d->loss_drops, d->queue_drops, d->outage_drops,
           d->write_errors, d->arrived_packets, d->arrived_bytes,
           d->last_arrival_ns ? (now - d->last_arrival_ns) / 1000 : (ns_t)-1,
           d->queued_bytes, d->in_flight_bytes, d->m.rate_bps,
           lateness_quantile_us(d, 0.5), lateness_quantile_us(d, 0.99), (d->lateness_max_ns + 999) / 1000,
           d->applied_delay.mean / 1000.0, running_sd(&d->applied_delay) / 1000.0, d->clamped_packets);
}

static void reply_ack(const char *cmd, ns_t at) {
    printf("{\"event\":\"ack\",\"command\":\"%s\",\"monotonicNs\":%" PRId64 "}\n", cmd, at);
}

/* Returns false on quit. Every command gets exactly one reply line. */
static bool handle_command(char *line, struct direction *up, struct direction *down) {
    ns_t at = now_ns();
    char word[16] = "", arg[16] = "";
    double value = 0;
    int n = sscanf(line, "%15s %15s %lf", word, arg, &value);
    if (n >= 1 && !strcmp(word, "quit")) return false;
    if (n == 1 && !strcmp(word, "stats")) {
        leave_queue(up, at);
        leave_queue(down, at);
        printf("{\"event\":\"stats\",\"monotonicNs\":%" PRId64 ",\"outage\":%s,", at, outage ? "true" : "false");
        print_direction(up, at);
        putchar(',');
        print_direction(down, at);
        puts("}");
    } else if (n == 2 && !strcmp(word, "outage") && (!strcmp(arg, "on") || !strcmp(arg, "off"))) {
        outage = !strcmp(arg, "on");
        if (outage) { start_outage(up); start_outage(down); }
        reply_ack(outage ? "outage on" : "outage off", at);
    } else if (n == 3 && !strcmp(word, "rate") && (!strcmp(arg, "up") || !strcmp(arg, "down")) && value >= 1) {
        set_rate(!strcmp(arg, "up") ? up : down, value, at);
        reply_ack(!strcmp(arg, "up") ? "rate up" : "rate down", at);
    } else {
        printf("{\"event\":\"error\",\"message\":\"unknown command\"}\n");
    }
    return true;
}

/* Reads whatever stdin has; returns false on quit or EOF. */
static bool read_commands(char *buf, size_t *used, size_t cap, struct direction *up, struct direction *down) {
    ssize_t n = read(STDIN_FILENO, buf + *used, cap - *used - 1);
    if (n < 0) return errno == EAGAIN || errno == EINTR;
    if (n == 0) return false;
    *used += (size_t)n;
    buf[*used] = '\0';
    char *start = buf, *nl;
    bool go_on = true;
    while (go_on && (nl = strchr(start, '\n'))) {
        *nl = '\0';
        go_on = handle_command(start, up, down);
        start = nl + 1;
    }
    *used -= (size_t)(start - buf);
    memmove(buf, start, *used);
    if (*used == cap - 1) *used = 0; /* a line longer than the buffer is garbage: drop it */
    if (fflush(stdout) != 0) return false; /* our reader is gone */
    return go_on;
}

static void init_direction(struct direction *d, const char *name, struct direction_model m, int in_fd, int out_fd) {
    memset(d, 0, sizeof *d);
    d->name = name;
    d->m = m;
    d->in_fd = in_fd;
    d->out_fd = out_fd;
    d->lateness_hist = calloc(LATENESS_BUCKETS, sizeof *d->lateness_hist);
    if (!d->lateness_hist) die("calloc");
}

static void epoll_add(int ep, int fd, uint32_t extra_events) {
    struct epoll_event ev = { .events = EPOLLIN | extra_events, .data.fd = fd };
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl");
}

int main(int argc, char **argv) {
    const char *local = NULL, *remote = NULL, *dev = NULL, *up_spec = NULL, *down_spec = NULL;
    int rt_priority = DEFAULT_RT_PRIORITY;
    for (int i = 1; i < argc; i++) {
        const char *flag = argv[i];
        if (i + 1 >= argc) fail("missing value for", flag);
        const char *value = argv[++i];
        if (!strcmp(flag, "--local")) local = value;
        else if (!strcmp(flag, "--remote")) remote = value;
        else if (!strcmp(flag, "--dev")) dev = value;
        else if (!strcmp(flag, "--up")) up_spec = value;
        else if (!strcmp(flag, "--down")) down_spec = value;
        else if (!strcmp(flag, "--seed")) seed = (uint64_t)parse_number(value, flag);
        else if (!strcmp(flag, "--rt-priority")) rt_priority = (int)parse_number(value, flag);
        else fail("unknown flag", flag);
    }
    if (!local || !remote || !dev || !up_spec || !down_spec)
        fail("usage: mpl-link --local NS --remote NS --dev NAME --up SPEC --down SPEC [--seed N]", NULL);
    if (strlen(dev) >= IFNAMSIZ) fail("device name too long", dev);
    struct direction_model up_model = parse_spec(up_spec), down_model = parse_spec(down_spec);

    signal(SIGPIPE, SIG_IGN);
    /* Default timer slack (50 us) would show up directly as lateness. */
    prctl(PR_SET_TIMERSLACK, 1UL);
    /* On a busy machine a normal task waits behind others for milliseconds after its
     * timer fires. Real-time priority makes it run at once; the loop always blocks in
     * epoll_wait (and exits on any device error), so it cannot hog a core. */
    int rt_granted = 0; /* reported in the ready line: lateness figures depend on it */
    if (rt_priority > 0) {
        struct sched_param sp = { .sched_priority = rt_priority };
        if (sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp) < 0)
            fprintf(stderr, "mpl-link: no real-time priority (%s): lateness will suffer on a busy machine\n", strerror(errno));
        else
            rt_granted = rt_priority;
    }

    int own_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (own_ns < 0) die("open own namespace");
    int local_ns = open_netns(local), remote_ns = open_netns(remote);
    if (setns(local_ns, CLONE_NEWNET) < 0) die("setns local");
    int local_tun = create_tun(dev);
    if (setns(remote_ns, CLONE_NEWNET) < 0) die("setns remote");
    int remote_tun = create_tun(dev);
    if (setns(own_ns, CLONE_NEWNET) < 0) die("setns back");
    close(own_ns);
    close(local_ns);
    close(remote_ns);

    struct direction up, down;
    init_direction(&up, "up", up_model, local_tun, remote_tun);
    init_direction(&down, "down", down_model, remote_tun, local_tun);
    up.rng_state = seed;
    down.rng_state = rng_next(&(uint64_t){ seed ^ 0xd1b54a32d192ed03ULL });
    up.jitter.rng_state = rng_next(&(uint64_t){ seed ^ 0x8cb92ba72f3d8dd7ULL });
    down.jitter.rng_state = rng_next(&(uint64_t){ seed ^ 0x4f1bbcdcbfa53e0aULL });

    int timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (timer < 0) die("timerfd_create");
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) die("epoll_create1");
    if (fcntl(STDIN_FILENO, F_SETFL, fcntl(STDIN_FILENO, F_GETFL) | O_NONBLOCK) < 0) die("fcntl stdin");
    epoll_add(ep, local_tun, 0);
    epoll_add(ep, remote_tun, 0);
    /* Edge-triggered: each expiry wakes us once, and re-arming resets the timer,
     * so its expiration count never needs a read() (one syscall less per packet). */
    epoll_add(ep, timer, EPOLLET);
    epoll_add(ep, STDIN_FILENO, 0);

    printf("{\"event\":\"ready\",\"pid\":%d,\"dev\":\"%s\",\"rtPriority\":%d}\n", (int)getpid(), dev, rt_granted);
    if (fflush(stdout) != 0) return 1;

    static unsigned char packet_buf[MAX_PACKET];
    static char command_buf[4096];
    size_t command_used = 0;
    ns_t armed_ns = -1;
    for (;;) {
        struct epoll_event events[8];
        int n = epoll_wait(ep, events, 8, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            die("epoll_wait");
        }
        for (int i = 0; i < n; i++) {
            int fd = events[i].data.fd;
            if ((fd == local_tun || fd == remote_tun) && (events[i].events & (EPOLLERR | EPOLLHUP))) {
                fprintf(stderr, "mpl-link: device %s in %s is gone\n", dev, fd == local_tun ? local : remote);
                return 1;
            }
            if (fd == local_tun) read_device(&up, packet_buf);
            else if (fd == remote_tun) read_device(&down, packet_buf);
            else if (fd == timer) armed_ns = -1;
            else if (fd == STDIN_FILENO) {
                if (!read_commands(command_buf, &command_used, sizeof command_buf, &up, &down)) return 0;
            }
        }
        ns_t now = now_ns();
        advance(&up, now);
        advance(&down, now);
        ns_t next = next_event(&up);
        ns_t next_down = next_event(&down);
        if (next_down < next) next = next_down;
        /* A timer armed for later than needed is moved earlier; one armed earlier than
         * needed is left to fire (a spurious wakeup is cheaper than a re-arm per packet). */
        if (next != INT64_MAX && (armed_ns < 0 || next < armed_ns)) {
            struct itimerspec its = { .it_value = { .tv_sec = next / 1000000000, .tv_nsec = next % 1000000000 } };
            if (timerfd_settime(timer, TFD_TIMER_ABSTIME, &its, NULL) < 0) die("timerfd_settime");
            armed_ns = next;
        }
    }
}
