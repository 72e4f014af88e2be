# src/cluster: data directories, replicas, the LMDB catalog and its typed
# records.
libsnapfs_a_SOURCES += \
	src/cluster/cluster.c src/cluster/cluster.h \
	src/cluster/cluster_int.h \
	src/cluster/catalog.c src/cluster/catalog.h \
	src/cluster/record.c src/cluster/record.h \
	src/cluster/record_tree.c src/cluster/record_release.c \
	$(NULL)

UNIT_TESTS += tests/unit/test-catalog
tests_unit_test_catalog_SOURCES = tests/unit/test-catalog.c tests/unit/unit.h
tests_unit_test_catalog_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_catalog_LDADD = $(UNIT_LDADD)

UNIT_TESTS += tests/unit/test-record
tests_unit_test_record_SOURCES = tests/unit/test-record.c tests/unit/unit.h
tests_unit_test_record_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_record_LDADD = $(UNIT_LDADD)

UNIT_TESTS += tests/unit/test-cluster
tests_unit_test_cluster_SOURCES = tests/unit/test-cluster.c tests/unit/unit.h
tests_unit_test_cluster_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_cluster_LDADD = $(UNIT_LDADD)
