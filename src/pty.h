/* pty.h - --pty: the sandbox on a pseudo-terminal of its own, relayed by sbx. */
#ifndef SBX_PTY_H
#define SBX_PTY_H

#include <signal.h>
#include <stdbool.h>

struct pty;

/* In sbx, before the sandbox exists: the socket the sandbox's init passes
 * the terminal over, and the caller's terminal settings.  Dies on failure. */
struct pty *pty_open(void);
/* The socket's end for the sandbox's init. */
int pty_child_fd(const struct pty *p);
/* In sbx once the sandbox holds its copy: closes sbx's, so a sandbox that
 * fails before passing the terminal is an end of file. */
void pty_close_child_fd(struct pty *p);
/* In the sandbox's init, a session leader, after the root is in place:
 * opens a pty pair in the sandbox's devpts, makes the slave the controlling
 * terminal and stdin, stdout and stderr, passes the master to sbx over sock
 * and waits until sbx set it up.  Dies on failure. */
void pty_inside(int sock);
/* In sbx once the sandbox runs: takes the master, gives it the caller's
 * terminal settings and window size, and lets the sandbox go on.  false
 * when the sandbox ended before passing it (it said why). */
bool pty_receive(struct pty *p);
/* In sbx, as the sandbox starts: puts the caller's terminal in raw mode
 * (keys go to the sandbox's terminal as typed: ^C, ^Z reach the command's
 * terminal, not sbx), restored by pty_close or on die(). */
void pty_start(struct pty *p);
/* Relays stdin -> master and master -> stdout until a signal arrives on
 * sigfd (a signalfd of the blocked signals); returns its number with info
 * filled in.  SIGWINCH is handled here: the caller's window size goes to
 * the sandbox's terminal, whose kernel signals the command. */
int pty_wait_signal(struct pty *p, int sigfd, siginfo_t *info);
/* After the sandbox ended: passes on what it still wrote, restores the
 * caller's terminal, frees p.  NULL is fine. */
void pty_close(struct pty *p);

#endif
