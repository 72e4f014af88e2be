# src/jobs: the job engine, RESTORE, BACKUP, snapshot management, the statement parser.
libsnapfs_a_SOURCES += \
	src/jobs/jobs.h src/jobs/jobs_int.h \
	src/jobs/job.c \
	src/jobs/job_restore.c \
	src/jobs/job_backup.c \
	src/jobs/job_manage.c \
	src/jobs/spec.c src/jobs/spec.h \
	$(NULL)

UNIT_TESTS += tests/unit/test-spec
tests_unit_test_spec_SOURCES = tests/unit/test-spec.c tests/unit/unit.h
tests_unit_test_spec_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_spec_LDADD = $(UNIT_LDADD)

# The job engine's facade, status and the kinds' other files (jobs_int.h
# tells which layer each is in).
libsnapfs_a_SOURCES += \
	src/jobs/jobs.c \
	src/jobs/job_status.c \
	src/jobs/job_restore_int.h \
	src/jobs/job_restore_plan.c \
	src/jobs/job_restore_fetch.c \
	src/jobs/job_backup_int.h \
	src/jobs/job_backup_plan.c \
	src/jobs/job_backup_upload.c \
	src/jobs/job_backup_meta.c \
	$(NULL)

UNIT_TESTS += tests/unit/test-jobs
tests_unit_test_jobs_SOURCES = tests/unit/test-jobs.c tests/unit/unit.h
tests_unit_test_jobs_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_jobs_LDADD = $(UNIT_LDADD)
