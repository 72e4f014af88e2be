# src/repo: the repository layout, __info_, __meta, retention, verify.
libsnapfs_a_SOURCES += \
	src/repo/repo.c src/repo/repo.h \
	src/repo/jobinfo.c src/repo/jobinfo.h \
	src/repo/meta.c src/repo/meta.h \
	$(NULL)

UNIT_TESTS += tests/unit/test-jobinfo
tests_unit_test_jobinfo_SOURCES = tests/unit/test-jobinfo.c tests/unit/unit.h
tests_unit_test_jobinfo_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_jobinfo_LDADD = $(UNIT_LDADD)

UNIT_TESTS += tests/unit/test-meta
tests_unit_test_meta_SOURCES = tests/unit/test-meta.c tests/unit/unit.h
tests_unit_test_meta_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_meta_LDADD = $(UNIT_LDADD)

UNIT_TESTS += tests/unit/test-repo
tests_unit_test_repo_SOURCES = tests/unit/test-repo.c tests/unit/unit.h
tests_unit_test_repo_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_repo_LDADD = $(UNIT_LDADD)
