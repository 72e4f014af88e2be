/* SPDX-License-Identifier: MIT */
/*
 * control.h - the control-statement plane: the files of a mount's
 * control/ directory, without FUSE.
 *
 * Statements (RESTORE, BACKUP, CANCEL, DROP/CLEAN/VERIFY SNAPSHOT) are
 * written to control/restore, backup, cancel and snapshots; control/
 * last_error says why the last one failed, control/last_report what the
 * last snapshot statement did. This module owns all of it:
 *
 *  - one const table of the files: name, the statement kinds each takes,
 *    the handler that runs them (or, for last_error and last_report, the
 *    function that makes their text);
 *  - the text written to each open file, and when it is a whole
 *    statement: at a write that ends with a newline or ';' and completes
 *    it (the parser says so: spec_parse() returns -EAGAIN for a statement
 *    the text stops short of), else when the file is closed;
 *  - the checks every statement goes through once, in this order, before
 *    its handler runs: it parses; this file takes its kind; the
 *    repository it names (if any) is the mounted one;
 *  - control/last_error and control/last_report.
 *
 * How the mount (src/fs) uses it:
 *
 *   control_new(jobs, repo_name(repo), &ctl)    at mount, if there are jobs
 *   control/ listing: for i in 0 .. control_file_count() - 1:
 *       control_file_name(i), writable (0644) if control_file_writable(i)
 *       else read-only (0444); lookup by control_file_by_name()
 *   getattr/open for reading: control_file_read(ctl, i, &text, &len)
 *       (its length is the file's size; a statement file reads empty)
 *   open for writing: control_buf_new(ctl, i, &buf) (-EROFS for a
 *       read-only file), kept in the open file's state
 *   write:   rc = control_buf_write(buf, data, size); reply rc, or size
 *   flush:   rc = control_buf_finish(buf)  (a shell's close; dup'ed
 *            descriptors flush too: finishing twice is harmless)
 *   release: control_buf_finish(buf); control_buf_free(buf)
 *   truncate of a statement file: nothing to do (0)
 *   rmdir snapshots/<label>/<ts>: control_drop_snapshot(ctl, label, ts);
 *       other refusals worth a line in last_error: control_set_error()
 *   unmount: control_free(ctl) after every buffer is freed, before
 *       jobs_stop()
 *
 * Every error is the real one, by the errno rule of control files:
 * -EINVAL the statement does not parse or fails validation (a kind the
 * file does not take, a property value); -ENOENT it names something that
 * is not there (another repository, a snapshot, table, job to cancel);
 * -EBUSY a job holds the database or snapshot; -EEXIST a table structure
 * conflict; -EROFS the repository cannot be written; -ENOSPC, -EIO,
 * -ENOMEM from the work itself; -EFBIG a statement over 1 MiB. The mount
 * passes them on as they are; last_error has the sentence.
 */
#ifndef SNAPFS_CONTROL_H
#define SNAPFS_CONTROL_H

#include <stdbool.h>
#include <stddef.h>

struct jobs;
struct control;
struct control_buf;

/** The longest statement a control file takes, in bytes. */
#define CONTROL_STATEMENT_MAX (1u << 20)

/**
 * The plane of one mount.
 * @param[in] j the job engine; must outlive the plane. Not NULL.
 * @param[in] repo_name the mounted repository's name, which statements
 *            must name (copied).
 * @param[out] out free with control_free().
 * @return 0; -ENOMEM.
 */
int control_new(struct jobs *j, const char *repo_name, struct control **out);

/** Free the plane. Every control_buf of it must be freed first. NULL is a
 * no-op. */
void control_free(struct control *c);

/* --- the files of control/ (the same for every mount) ------------------ */

/** How many files control/ holds. */
size_t control_file_count(void);

/**
 * The name of file @i ("restore", "backup", "cancel", "last_error",
 * "snapshots", "last_report", in the order a listing shows them).
 * @return the name (static); NULL if @i >= control_file_count().
 */
const char *control_file_name(size_t i);

/** Does file @i take statements (else it is a read-only text)? False for
 * an @i out of range. */
bool control_file_writable(size_t i);

/**
 * Find a file by name.
 * @param[out] i its index, for the functions here.
 * @return 0; -ENOENT no file of that name.
 */
int control_file_by_name(const char *name, size_t *i);

/**
 * The text file @i reads as now: last_error's one line and a newline (or
 * nothing), last_report's report (or nothing), nothing for a statement
 * file. Thread-safe.
 * @param[out] text caller-owned, NUL-terminated; free().
 * @param[out] len its length.
 * @return 0; -ENOENT @i out of range; -ENOMEM.
 */
int control_file_read(struct control *c, size_t i, char **text, size_t *len);

/** control_file_read() of control/last_error. */
int control_last_error(struct control *c, char **text, size_t *len);

/** control_file_read() of control/last_report. */
int control_last_report(struct control *c, char **text, size_t *len);

/**
 * Set control/last_error to one line, for a refusal the mount made itself
 * (it should name the file or directory, as "rmdir snapshots/x/y: ...").
 * Long text is cut. Thread-safe.
 */
void control_set_error(struct control *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/** Empty control/last_error: the last thing done succeeded. Thread-safe. */
void control_clear_error(struct control *c);

/**
 * rmdir snapshots/<label>/<ts>: drop one snapshot through the engine
 * (jobs_drop_snapshot()), and set last_error to why it failed
 * ("rmdir snapshots/<label>/<ts>: ...") or empty it. Thread-safe.
 * @return 0; -ENOENT no such snapshot; -EBUSY a job uses it; -EROFS;
 *         else -errno from the store.
 */
int control_drop_snapshot(struct control *c, const char *label, const char *ts);

/* --- one open control file ---------------------------------------------- */

/**
 * Start collecting what is written to one open statement file.
 * @param[in] i the file (control_file_by_name()).
 * @param[out] out free with control_buf_free().
 * @return 0; -EROFS file @i takes no statements; -ENOENT @i out of
 *         range; -ENOMEM.
 */
int control_buf_new(struct control *c, size_t i, struct control_buf **out);

/**
 * Append @len bytes (one write(2), wherever it was aimed: control files
 * are streams). If they end with a newline or ';' and the text so far is
 * a whole statement, it runs now, so that a refused statement fails this
 * write; if it is only the start of one, the text is kept for the next
 * writes or the close. Text of blanks only is nothing to run. Safe from
 * any thread; calls on one buffer are serialised (a statement runs under
 * the buffer's lock).
 * @return 0 (kept, or run and accepted); -EFBIG the text would pass
 *         CONTROL_STATEMENT_MAX (nothing is appended, the text so far is
 *         kept); -ENOMEM; or the statement's error, by the errno rule
 *         above (the text is then dropped, and last_error says why).
 */
int control_buf_write(struct control_buf *b, const char *buf, size_t len);

/**
 * The file is being closed: run what is left, whole or not (a statement
 * cut short is then -EINVAL, with what was expected in last_error).
 * Nothing left, or blanks only: 0. Calling it again is harmless.
 * @return 0, or the statement's error as for control_buf_write().
 */
int control_buf_finish(struct control_buf *b);

/** Free the buffer, dropping any text not yet run (call
 * control_buf_finish() first to run it). NULL is a no-op. */
void control_buf_free(struct control_buf *b);

#endif
