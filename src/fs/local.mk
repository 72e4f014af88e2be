# src/fs: the mount tree, with no FUSE types: one file per node family
# (fs_int.h lists them), the inode table, and the public entry points.
libsnapfs_a_SOURCES += \
	src/fs/fs.h src/fs/fs_int.h \
	src/fs/fs.c \
	src/fs/node.c \
	src/fs/text.c \
	src/fs/root.c \
	src/fs/snapshots.c \
	src/fs/snap.c \
	src/fs/object.c \
	src/fs/raw.c \
	src/fs/controldir.c \
	src/fs/jobsdir.c \
	src/fs/clusterdir.c \
	src/fs/newfile.c \
	$(NULL)

# The mount tree without FUSE (tests/unit/fsfix.h is their fixture):
# test-fs on file:// and mem://, test-fs-fault over the fault layer.
UNIT_TESTS += tests/unit/test-fs
tests_unit_test_fs_SOURCES = tests/unit/test-fs.c tests/unit/fsfix.c \
	tests/unit/fsfix.h tests/unit/unit.h
tests_unit_test_fs_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_fs_LDADD = $(UNIT_LDADD)

UNIT_TESTS += tests/unit/test-fs-fault
tests_unit_test_fs_fault_SOURCES = tests/unit/test-fs-fault.c \
	tests/unit/fsfix.c tests/unit/fsfix.h tests/unit/unit.h
tests_unit_test_fs_fault_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_fs_fault_LDADD = $(UNIT_LDADD)
