# src/fs: the mount tree, with no FUSE types.
libsnapfs_a_SOURCES += \
	src/fs/fs.c src/fs/fs.h \
	$(NULL)
