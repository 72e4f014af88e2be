# src/repo: the repository layout (one noun per file, see repo_int.h):
# opening, labels, snapshots, tablets, deleting, retention, verify; the
# __info_ document (jobinfo, on jpath's checked JSON reads) and __meta.
libsnapfs_a_SOURCES += \
	src/repo/repo.c src/repo/repo.h src/repo/repo_int.h \
	src/repo/label.c \
	src/repo/snapshot.c \
	src/repo/tablet.c \
	src/repo/delete.c \
	src/repo/retention.c src/repo/retention.h \
	src/repo/verify.c src/repo/verify.h \
	src/repo/jobinfo.c src/repo/jobinfo.h \
	src/repo/jpath.c src/repo/jpath_int.h \
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

# tests/unit/oom.h: these wrap the allocators to fail the Nth call.
WRAP_ALLOC_FLAGS = -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc \
	-Wl,--wrap=strdup,--wrap=strndup,--wrap=asprintf,--wrap=vasprintf \
	-Wl,--wrap=open_memstream

UNIT_TESTS += tests/unit/test-repo
tests_unit_test_repo_SOURCES = tests/unit/test-repo.c tests/unit/unit.h \
	tests/unit/oom.h
tests_unit_test_repo_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_repo_LDFLAGS = $(AM_LDFLAGS) $(WRAP_ALLOC_FLAGS)
tests_unit_test_repo_LDADD = $(UNIT_LDADD)
