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

# The statement parser's other files (spec_int.h) and the control-statement
# plane (control.h). [control helper's block]
libsnapfs_a_SOURCES += \
	src/jobs/spec_int.h src/jobs/spec_lex.c src/jobs/spec_props.c \
	src/jobs/control.h src/jobs/control.c \
	src/jobs/job_manage_int.h \
	$(NULL)

UNIT_TESTS += tests/unit/test-control
tests_unit_test_control_SOURCES = tests/unit/test-control.c tests/unit/unit.h
tests_unit_test_control_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_control_LDADD = $(UNIT_LDADD)
