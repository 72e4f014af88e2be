# src/jobs: the job engine and its kinds (RESTORE, BACKUP), snapshot
# management, the statement parser and the control-statement plane.
# jobs_int.h tells which file is in which layer of the folder.
libsnapfs_a_SOURCES += \
	src/jobs/jobs.h src/jobs/jobs_int.h \
	src/jobs/control.h src/jobs/control.c \
	src/jobs/jobs.c \
	src/jobs/job_status.c \
	src/jobs/job.c \
	src/jobs/job_restore.c src/jobs/job_restore_int.h \
	src/jobs/job_restore_plan.c \
	src/jobs/job_restore_fetch.c \
	src/jobs/job_backup.c src/jobs/job_backup_int.h \
	src/jobs/job_backup_plan.c \
	src/jobs/job_backup_upload.c \
	src/jobs/job_backup_meta.c \
	src/jobs/job_manage.c \
	src/jobs/spec.c src/jobs/spec.h src/jobs/spec_int.h \
	src/jobs/spec_lex.c \
	src/jobs/spec_props.c \
	$(NULL)

UNIT_TESTS += tests/unit/test-spec
tests_unit_test_spec_SOURCES = tests/unit/test-spec.c tests/unit/unit.h
tests_unit_test_spec_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_spec_LDADD = $(UNIT_LDADD)

UNIT_TESTS += tests/unit/test-control
tests_unit_test_control_SOURCES = tests/unit/test-control.c tests/unit/unit.h
tests_unit_test_control_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_control_LDADD = $(UNIT_LDADD)

UNIT_TESTS += tests/unit/test-jobs
tests_unit_test_jobs_SOURCES = tests/unit/test-jobs.c tests/unit/unit.h
tests_unit_test_jobs_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_jobs_LDADD = $(UNIT_LDADD)

# The jobs unit tests share a fixture (tests/unit/jobs-fx.c). test-jobs
# runs on file://, test-jobs-mem is the same source on mem://;
# test-jobs-faults drives failures through the fault layer over mem://,
# test-jobs-faults-file the same source over file://.
JOBS_FX = tests/unit/jobs-fx.c tests/unit/jobs-fx.h tests/unit/unit.h
tests_unit_test_jobs_SOURCES += tests/unit/jobs-fx.c tests/unit/jobs-fx.h

UNIT_TESTS += tests/unit/test-jobs-mem
tests_unit_test_jobs_mem_SOURCES = tests/unit/test-jobs-mem.c $(JOBS_FX)
tests_unit_test_jobs_mem_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_jobs_mem_LDADD = $(UNIT_LDADD)

UNIT_TESTS += tests/unit/test-jobs-faults
tests_unit_test_jobs_faults_SOURCES = tests/unit/test-jobs-faults.c $(JOBS_FX)
tests_unit_test_jobs_faults_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_jobs_faults_LDADD = $(UNIT_LDADD)

UNIT_TESTS += tests/unit/test-jobs-faults-file
tests_unit_test_jobs_faults_file_SOURCES = \
	tests/unit/test-jobs-faults-file.c $(JOBS_FX)
tests_unit_test_jobs_faults_file_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_jobs_faults_file_LDADD = $(UNIT_LDADD)
