# src/store: the object-store interface, its backends and layers.
libsnapfs_a_SOURCES += \
	src/store/store.c src/store/store.h \
	src/store/store_open.c src/store/store_int.h \
	src/store/store_import.c \
	src/store/store_file.c \
	src/store/store_mem.c \
	src/store/store_s3.c src/store/s3_int.h \
	src/store/s3req.c \
	src/store/s3put.c \
	src/store/retry.c \
	src/store/readahead.c \
	src/store/fault.c \
	src/store/s3xml.c src/store/s3xml_int.h \
	src/store/s3cred.c src/store/s3cred_int.h \
	$(NULL)

UNIT_TESTS += tests/unit/test-store
tests_unit_test_store_SOURCES = tests/unit/test-store.c tests/unit/unit.h
tests_unit_test_store_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_store_LDADD = $(UNIT_LDADD)

UNIT_TESTS += tests/unit/test-s3xml
tests_unit_test_s3xml_SOURCES = tests/unit/test-s3xml.c tests/unit/unit.h
tests_unit_test_s3xml_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_s3xml_LDADD = $(UNIT_LDADD)

UNIT_TESTS += tests/unit/test-s3cred
tests_unit_test_s3cred_SOURCES = tests/unit/test-s3cred.c tests/unit/unit.h
tests_unit_test_s3cred_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_s3cred_LDADD = $(UNIT_LDADD)

UNIT_TESTS += tests/unit/test-memstore
tests_unit_test_memstore_SOURCES = tests/unit/test-memstore.c tests/unit/unit.h
tests_unit_test_memstore_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_memstore_LDADD = $(UNIT_LDADD)

UNIT_TESTS += tests/unit/test-fault
tests_unit_test_fault_SOURCES = tests/unit/test-fault.c tests/unit/unit.h
tests_unit_test_fault_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_fault_LDADD = $(UNIT_LDADD)

UNIT_TESTS += tests/unit/test-retry
tests_unit_test_retry_SOURCES = tests/unit/test-retry.c tests/unit/unit.h
tests_unit_test_retry_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_retry_LDADD = $(UNIT_LDADD)

UNIT_TESTS += tests/unit/test-readahead
tests_unit_test_readahead_SOURCES = tests/unit/test-readahead.c tests/unit/unit.h
tests_unit_test_readahead_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_readahead_LDADD = $(UNIT_LDADD)
