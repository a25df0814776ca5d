/* pty.c - --pty: the sandbox on a pseudo-terminal of its own.
 *
 * Without --pty the sandbox runs in a session without a controlling
 * terminal (launch.c's setsid), so nothing inside can push keystrokes into
 * the caller's terminal with TIOCSTI, and shells say "no job control".
 * With --pty, the sandbox's init opens a pty pair in the sandbox's own
 * devpts, takes the slave as its controlling terminal and passes the
 * master to sbx over a socket (as runc's console socket does); sbx copies
 * bytes between the caller's terminal (in raw mode) and the master, as ssh
 * and script do.
 * Job control, ^C and ^Z work inside, and TIOCSTI can only reach the
 * sandbox's own terminal.
 */
#include "pty.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "util.h"

#define PTY_BUF 4096

struct pty {
	int sock[2];            /* sbx <-> the sandbox's init: the master comes over it */
	int master;
	bool tty;               /* stdin is a terminal */
	bool raw;               /* ... and sbx put it in raw mode */
	struct termios saved;   /* its settings before */
	char in[PTY_BUF];       /* stdin -> master */
	size_t in_len, in_off;
	char out[PTY_BUF];      /* master -> stdout */
	size_t out_len, out_off;
	bool stdin_done, master_done, stdout_gone;
};

struct pty *pty_open(void)
{
	struct pty *p = xcalloc(1, sizeof(*p));

	p->master = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p->sock) < 0)
		die_errno("--pty: socketpair");
	p->tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &p->saved) == 0;
	return p;
}

int pty_child_fd(const struct pty *p)
{
	return p->sock[1];
}

void pty_close_child_fd(struct pty *p)
{
	if (p->sock[1] >= 0)
		close(p->sock[1]);
	p->sock[1] = -1;
}

void pty_inside(int sock)
{
	char name[64], ack = 0;
	int master, slave;

	/* The sandbox's own devpts (fs.c): ttyname() and tty work inside. */
	master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		die_errno("--pty: cannot open /dev/ptmx in the sandbox");
	if (unlockpt(master) < 0 || ptsname_r(master, name, sizeof(name)) != 0)
		die_errno("--pty: cannot set up the pseudo-terminal");
	slave = open(name, O_RDWR | O_CLOEXEC);
	if (slave < 0)
		die_errno("--pty: cannot open %s", name);
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		die_errno("--pty: cannot make %s the sandbox's controlling terminal", name);
	for (int fd = 0; fd <= 2; fd++)
		if (dup2(slave, fd) < 0)
			die_errno("--pty: dup2");
	close(slave);
	if (fd_send(sock, master, 'M') < 0)
		die_errno("--pty: cannot pass the terminal to sbx");
	close(master);
	/* sbx sets the size and modes before anything runs on it. */
	if (read_all(sock, &ack, 1) != 1 || ack != 'P')
		_exit(SBX_EXIT_FAILURE);
	close(sock);
	trace("pty %s", name);
}

bool pty_receive(struct pty *p)
{
	p->master = fd_recv(p->sock[0], 'M');
	if (p->master < 0)
		return false; /* the sandbox failed and said why */
	if (p->tty) {
		struct winsize ws;

		/* The caller's erase key, line settings and size. */
		if (tcsetattr(p->master, TCSANOW, &p->saved) < 0)
			die_errno("--pty: cannot copy the terminal settings");
		if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
			ioctl(p->master, TIOCSWINSZ, &ws);
	}
	/* Our own fd: a full master never blocks the relay. */
	if (fcntl(p->master, F_SETFL, O_NONBLOCK) < 0)
		die_errno("--pty: fcntl");
	if (write_all(p->sock[0], "P", 1) != 1)
		die_errno("--pty: cannot wake the sandbox");
	close(p->sock[0]);
	p->sock[0] = -1;
	return true;
}

static void restore(void *arg)
{
	struct pty *p = arg;

	if (p->raw)
		tcsetattr(STDIN_FILENO, TCSADRAIN, &p->saved);
	p->raw = false;
}

void pty_start(struct pty *p)
{
	struct termios raw;

	/* A reader of our stdout that goes away is EPIPE for the relay, not
	 * a signal that would end sbx with the terminal still raw.  Every
	 * process of the sandbox already exists, so none inherits this. */
	signal(SIGPIPE, SIG_IGN);
	if (!p->tty)
		return;
	raw = p->saved;
	/* As ssh does: every byte passes as is; the sandbox's terminal does
	 * the line editing, echo and \n -> \r\n. */
	cfmakeraw(&raw);
	at_die(restore, p);
	if (tcsetattr(STDIN_FILENO, TCSADRAIN, &raw) < 0)
		die_errno("--pty: cannot put the terminal in raw mode");
	p->raw = true;
}

/* End of stdin without a terminal (a pipe): the end-of-file character, as
 * typing ^D would; twice when a line is unfinished. */
static void queue_eof(struct pty *p)
{
	struct termios t;
	char eof = 4;

	if (tcgetattr(p->master, &t) == 0 && t.c_cc[VEOF])
		eof = (char)t.c_cc[VEOF];
	p->in_off = 0;
	p->in_len = 0;
	p->in[p->in_len++] = eof;
	p->in[p->in_len++] = eof;
}

/* One round of copying, for what poll found ready in fds. */
static void relay(struct pty *p, const struct pollfd *fds)
{
	ssize_t n;

	if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
		n = read(STDIN_FILENO, p->in, sizeof(p->in));
		if (n > 0) {
			p->in_off = 0;
			p->in_len = (size_t)n;
		} else if (n == 0 || errno != EINTR) {
			p->stdin_done = true;
			if (!p->tty)
				queue_eof(p);
		}
	}
	if (fds[2].revents & POLLOUT && p->in_len) {
		n = write(p->master, p->in + p->in_off, p->in_len - p->in_off);
		if (n > 0)
			p->in_off += (size_t)n;
		/* All written, or the terminal is gone: the chunk is done. */
		if (p->in_off == p->in_len || (n < 0 && errno != EAGAIN && errno != EINTR))
			p->in_len = p->in_off = 0;
	}
	if (fds[2].revents & (POLLIN | POLLHUP | POLLERR) && !p->out_len) {
		n = read(p->master, p->out, sizeof(p->out));
		if (n > 0) {
			p->out_off = 0;
			p->out_len = (size_t)n;
		} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			/* EIO: every slave fd is closed. */
			p->master_done = true;
		}
	}
	if (fds[3].revents & (POLLOUT | POLLERR | POLLHUP) && p->out_len) {
		n = write(STDOUT_FILENO, p->out + p->out_off, p->out_len - p->out_off);
		if (n > 0 && (p->out_off += (size_t)n) == p->out_len)
			p->out_len = p->out_off = 0;
		else if (n < 0 && errno != EAGAIN && errno != EINTR) {
			/* Nobody reads our output any more: hang up the
			 * sandbox's terminal, as a closed ssh session does (its
			 * session gets SIGHUP, its writes EIO). */
			p->stdout_gone = true;
			p->out_len = p->out_off = 0;
			close(p->master);
			p->master = -1;
			p->master_done = true;
		}
	}
}

static void fill_pollfds(const struct pty *p, int sigfd, struct pollfd *fds)
{
	fds[0] = (struct pollfd){ .fd = sigfd, .events = POLLIN };
	fds[1] = (struct pollfd){ .fd = p->stdin_done || p->in_len ? -1 : STDIN_FILENO, .events = POLLIN };
	fds[2] = (struct pollfd){ .fd = p->master_done ? -1 : p->master,
				  .events = (short)((p->out_len ? 0 : POLLIN) | (p->in_len ? POLLOUT : 0)) };
	fds[3] = (struct pollfd){ .fd = p->out_len ? STDOUT_FILENO : -1, .events = POLLOUT };
}

int pty_wait_signal(struct pty *p, int sigfd, siginfo_t *info)
{
	for (;;) {
		struct pollfd fds[4];
		struct signalfd_siginfo si;

		fill_pollfds(p, sigfd, fds);
		if (poll(fds, 4, -1) < 0) {
			if (errno == EINTR)
				continue;
			die_errno("poll");
		}
		if (fds[0].revents & POLLIN) {
			ssize_t n = read(sigfd, &si, sizeof(si));

			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n != sizeof(si))
				die_errno("signalfd");
			if (si.ssi_signo == SIGWINCH) {
				struct winsize ws;

				if (p->tty && p->master >= 0 && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
					ioctl(p->master, TIOCSWINSZ, &ws);
				continue;
			}
			memset(info, 0, sizeof(*info));
			info->si_signo = (int)si.ssi_signo;
			info->si_pid = (pid_t)si.ssi_pid;
			return (int)si.ssi_signo;
		}
		relay(p, fds);
	}
}

void pty_close(struct pty *p)
{
	if (!p)
		return;
	/* The sandbox is gone: what it wrote is in the master, and it ends
	 * with EIO once read.  Bounded: 1 MiB more at most. */
	for (int rounds = 0; rounds < 256 && p->master >= 0 && !p->master_done && !p->stdout_gone; rounds++) {
		struct pollfd fds[4];

		p->stdin_done = true;
		p->in_len = 0;
		fill_pollfds(p, -1, fds);
		if (poll(fds, 4, 0) <= 0)
			break;
		relay(p, fds);
	}
	while (p->master >= 0 && p->out_len && !p->stdout_gone) {
		struct pollfd fds[4];

		fill_pollfds(p, -1, fds);
		fds[2].fd = -1;
		if (poll(fds, 4, 1000) <= 0)
			break;
		relay(p, fds);
	}
	at_die_cancel(restore, p);
	restore(p);
	pty_close_child_fd(p);
	if (p->sock[0] >= 0)
		close(p->sock[0]);
	if (p->master >= 0)
		close(p->master);
	free(p);
}
