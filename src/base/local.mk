# src/base: digests, logging, names, banned.h (no dependencies).
libsnapfs_a_SOURCES += \
	src/base/base.h \
	src/base/banned.h \
	src/base/hash.c src/base/hash.h \
	src/base/log.c src/base/log.h \
	src/base/name.c src/base/name.h \
	$(NULL)

UNIT_TESTS += tests/unit/test-hash
tests_unit_test_hash_SOURCES = tests/unit/test-hash.c tests/unit/unit.h
tests_unit_test_hash_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_hash_LDADD = $(UNIT_LDADD)
