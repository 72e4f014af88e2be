# src/cluster: data directories, replicas and the LMDB catalog.
libsnapfs_a_SOURCES += \
	src/cluster/cluster.c src/cluster/cluster.h \
	src/cluster/catalog.c src/cluster/catalog.h \
	$(NULL)

UNIT_TESTS += tests/unit/test-catalog
tests_unit_test_catalog_SOURCES = tests/unit/test-catalog.c tests/unit/unit.h
tests_unit_test_catalog_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_catalog_LDADD = $(UNIT_LDADD)
