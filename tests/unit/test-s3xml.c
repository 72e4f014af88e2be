/* SPDX-License-Identifier: MIT */
/*
 * test-s3xml.c - the S3 XML documents as AWS, Swift's s3api and s3rver
 * write them, and hostile ones: truncated at every length, deeply nested,
 * oversized, with a DTD, of another root, with bad values. Then the two
 * request bodies (escaping checked by reading them back through the list
 * parser) and the time parser.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/s3xml_int.h"
#include "unit.h"

#include "base/banned.h"

#define NS     "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\""
#define LIT(s) (s), sizeof(s) - 1
#define DECL   "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"

/* ListObjectsV2 as AWS returns it: one line, escaped keys, a page token. */
static const char aws_list[] = DECL
	"<ListBucketResult " NS ">"
	"<Name>backups</Name><Prefix>repo/</Prefix>"
	"<ContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM="
	"</ContinuationToken>"
	"<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/"
	"wm36Hy4vbOwM=&amp;x</NextContinuationToken>"
	"<KeyCount>6</KeyCount><MaxKeys>6</MaxKeys><Delimiter>/</Delimiter>"
	"<IsTruncated>true</IsTruncated>"
	"<Contents><Key>repo/z last.dat</Key>"
	"<LastModified>2026-11-22T04:16:22.000Z</LastModified>"
	"<ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag>"
	"<Size>434234</Size><StorageClass>STANDARD</StorageClass></Contents>"
	"<Contents><Key>repo/a&amp;b.txt</Key>"
	"<LastModified>2009-10-12T17:50:30.000Z</LastModified>"
	"<ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag>"
	"<Size>0</Size><Owner><ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c"
	"078efc7c6caea54ba06a</ID><DisplayName>webfile</DisplayName></Owner>"
	"<StorageClass>STANDARD</StorageClass></Contents>"
	"<Contents><Key>repo/\xc3\xa9t\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac.dat"
	"</Key><LastModified>2024-05-01T10:20:30Z</LastModified>"
	"<ETag>\"x\"</ETag><Size>18446744073709551615</Size>"
	"<ChecksumAlgorithm>CRC32</ChecksumAlgorithm>"
	"<ChecksumAlgorithm>SHA256</ChecksumAlgorithm>"
	"<RestoreStatus><IsRestoreInProgress>false</IsRestoreInProgress>"
	"</RestoreStatus><StorageClass>STANDARD</StorageClass></Contents>"
	"<CommonPrefixes><Prefix>repo/snap 1/</Prefix></CommonPrefixes>"
	"<CommonPrefixes><Prefix>repo/B/</Prefix></CommonPrefixes>"
	"<CommonPrefixes><Prefix>repo/&lt;odd&gt;/</Prefix></CommonPrefixes>"
	"</ListBucketResult>";

/* OpenStack Swift's s3api: single-quoted declaration, raw quotes. */
static const char swift_list[] =
	"<?xml version='1.0' encoding='UTF-8'?>\n"
	"<ListBucketResult " NS "><Name>bucket</Name><Prefix/>"
	"<MaxKeys>1000</MaxKeys><Delimiter>/</Delimiter>"
	"<IsTruncated>false</IsTruncated><KeyCount>2</KeyCount>"
	"<Contents><Key>__ss_snap1/__info_2024-05-01-10-20-30.1833ecb7</Key>"
	"<LastModified>2014-05-07T19:47:53.592Z</LastModified>"
	"<ETag>\"cf6f6a3b7e2b9d3f4a5c6d7e8f901234\"</ETag><Size>1234</Size>"
	"<Owner><ID>test:tester</ID><DisplayName>test:tester</DisplayName>"
	"</Owner><StorageClass>STANDARD</StorageClass></Contents>"
	"<CommonPrefixes><Prefix>__palo_repository_r1/</Prefix>"
	"</CommonPrefixes></ListBucketResult>";

/* s3rver: pretty-printed, element order of its own. */
static const char s3rver_list[] =
	DECL "<ListBucketResult " NS ">\n"
	     "  <IsTruncated>false</IsTruncated>\n"
	     "  <Contents>\n"
	     "    <Key>k1</Key>\n"
	     "    <LastModified>2020-01-02T03:04:05.678Z</LastModified>\n"
	     "    <ETag>&quot;abc&quot;</ETag>\n"
	     "    <Size>5</Size>\n"
	     "    <StorageClass>STANDARD</StorageClass>\n"
	     "  </Contents>\n"
	     "  <Name>bucket</Name>\n"
	     "  <Prefix></Prefix>\n"
	     "  <MaxKeys>1000</MaxKeys>\n"
	     "  <KeyCount>1</KeyCount>\n"
	     "</ListBucketResult>";

static const char empty_list[] =
	DECL "<ListBucketResult " NS "><Name>b</Name><Prefix>nope/</Prefix>"
	     "<KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys>"
	     "<IsTruncated>false</IsTruncated></ListBucketResult>";

static const char aws_error[] =
	DECL "<Error><Code>NoSuchKey</Code>"
	     "<Message>The resource you requested does not exist</Message>"
	     "<Resource>/mybucket/myfoto.jpg</Resource>"
	     "<RequestId>4442587FB7D0A2F9</RequestId></Error>";

static const char aws_upload[] = DECL
	"<InitiateMultipartUploadResult " NS ">"
	"<Bucket>example-bucket</Bucket><Key>example-object</Key>"
	"<UploadId>VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA"
	"</UploadId></InitiateMultipartUploadResult>";

static const char aws_delete[] =
	DECL "<DeleteResult " NS ">"
	     "<Deleted><Key>sample1.txt</Key></Deleted>"
	     "<Error><Key>sample2 &amp; more.txt</Key><Code>AccessDenied</Code>"
	     "<Message>Access Denied</Message></Error>"
	     "<Error><Key>\xc3\xa9.txt</Key><VersionId>v1</VersionId>"
	     "<Code>InternalError</Code><Message>We encountered an internal "
	     "error. Please try again.</Message></Error></DeleteResult>";

/* Every well-formed document above, for the truncation test. */
static const char *const all_docs[] = {
	aws_list,  swift_list, s3rver_list, empty_list,
	aws_error, aws_upload, aws_delete,
};

/* A heap copy with nothing after it, so an over-read shows under ASan. */
static char *heap(const char *s, size_t len)
{
	char *copy = malloc(len ? len : 1);

	ck_assert_ptr_nonnull(copy);
	memcpy(copy, s, len);
	return copy;
}

static int list_len(const char *xml, size_t len, struct s3_list_page *out)
{
	char *copy = heap(xml, len);
	int rc = s3xml_parse_list(copy, len, out);

	free(copy);
	return rc;
}

static int list(const char *xml, struct s3_list_page *out)
{
	return list_len(xml, strlen(xml), out);
}

static void expect_list_bad(const char *xml)
{
	struct s3_list_page sentinel, p;
	int rc;

	memset(&sentinel, 0xa5, sizeof(sentinel));
	p = sentinel;
	rc = list(xml, &p);
	ck_assert_msg(rc == -EBADMSG, "rc %d for %s", rc, xml);
	ck_assert_msg(memcmp(&p, &sentinel, sizeof(p)) == 0,
		      "out changed on failure for %s", xml);
}

/* A one-page list around @body (the children of ListBucketResult). */
static char *list_doc(const char *body)
{
	char *s = NULL;

	ck_assert_int_ge(
		asprintf(&s, "<ListBucketResult " NS ">%s</ListBucketResult>",
			 body),
		0);
	return s;
}

static void expect_list_body_bad(const char *body)
{
	char *doc = list_doc(body);

	expect_list_bad(doc);
	free(doc);
}

static void expect_item(const struct s3_list_page *p, size_t i, const char *key,
			uint64_t size, int64_t mtime, bool is_prefix)
{
	ck_assert_uint_gt(p->n, i);
	ck_assert_str_eq(p->items[i].key, key);
	ck_assert_uint_eq(p->items[i].size, size);
	ck_assert_int_eq(p->items[i].mtime, mtime);
	ck_assert_int_eq(p->items[i].is_prefix, is_prefix);
}

START_TEST(test_list_aws)
{
	struct s3_list_page p;

	ck_assert_int_eq(list(aws_list, &p), 0);
	ck_assert(p.truncated);
	ck_assert_str_eq(p.next_token,
			 "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=&x");
	ck_assert_uint_eq(p.n, 6);
	/* Byte order: '<' < 'B' < 'a' < 's' < 'z' < 0xc3. */
	expect_item(&p, 0, "repo/<odd>/", 0, 0, true);
	expect_item(&p, 1, "repo/B/", 0, 0, true);
	expect_item(&p, 2, "repo/a&b.txt", 0, 1255369830, false);
	expect_item(&p, 3, "repo/snap 1/", 0, 0, true);
	expect_item(&p, 4, "repo/z last.dat", 434234, 1795320982, false);
	expect_item(&p, 5,
		    "repo/\xc3\xa9t\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac.dat",
		    UINT64_MAX, 1714558830, false);
	s3xml_list_free(&p);
	ck_assert_ptr_null(p.items);
	ck_assert_ptr_null(p.next_token);
	ck_assert_uint_eq(p.n, 0);
	s3xml_list_free(&p);
	s3xml_list_free(NULL);
}
END_TEST

START_TEST(test_list_swift_s3rver)
{
	struct s3_list_page p;

	ck_assert_int_eq(list(swift_list, &p), 0);
	ck_assert(!p.truncated);
	ck_assert_ptr_null(p.next_token);
	ck_assert_uint_eq(p.n, 2);
	expect_item(&p, 0, "__palo_repository_r1/", 0, 0, true);
	expect_item(&p, 1, "__ss_snap1/__info_2024-05-01-10-20-30.1833ecb7",
		    1234, 1399492073, false);
	s3xml_list_free(&p);

	ck_assert_int_eq(list(s3rver_list, &p), 0);
	ck_assert(!p.truncated);
	ck_assert_uint_eq(p.n, 1);
	expect_item(&p, 0, "k1", 5, 1577934245, false);
	s3xml_list_free(&p);
}
END_TEST

START_TEST(test_list_empty)
{
	struct s3_list_page p;

	ck_assert_int_eq(list(empty_list, &p), 0);
	ck_assert_uint_eq(p.n, 0);
	ck_assert_ptr_null(p.items);
	ck_assert(!p.truncated);
	ck_assert_ptr_null(p.next_token);
	s3xml_list_free(&p);

	/* No IsTruncated at all means not truncated. */
	ck_assert_int_eq(list("<ListBucketResult/>", &p), 0);
	ck_assert_uint_eq(p.n, 0);
	ck_assert(!p.truncated);
	s3xml_list_free(&p);
}
END_TEST

START_TEST(test_list_namespaces)
{
	struct s3_list_page p;

	/* A prefixed namespace, and one nobody declared. */
	ck_assert_int_eq(
		list("<s3:ListBucketResult "
		     "xmlns:s3=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
		     "<s3:Contents><s3:Key>a</s3:Key><s3:Size>1</s3:Size>"
		     "</s3:Contents><s3:IsTruncated>false</s3:IsTruncated>"
		     "</s3:ListBucketResult>",
		     &p),
		0);
	ck_assert_uint_eq(p.n, 1);
	expect_item(&p, 0, "a", 1, 0, false);
	s3xml_list_free(&p);

	ck_assert_int_eq(
		list("<x:ListBucketResult><y:Contents><Key>b</Key><Size>2"
		     "</Size></y:Contents></x:ListBucketResult>",
		     &p),
		0);
	expect_item(&p, 0, "b", 2, 0, false);
	s3xml_list_free(&p);
}
END_TEST

START_TEST(test_list_key_text)
{
	struct s3_list_page p;
	char *doc;

	/* Character references, CDATA, split text, CR kept by reference. */
	doc = list_doc("<Contents><Key>a&#13;b&#x9;c&#10;d</Key><Size>1</Size>"
		       "</Contents>"
		       "<Contents><Key><![CDATA[x<&>]]>y&apos;&quot;</Key>"
		       "<Size>2</Size></Contents>"
		       "<Contents><Key>\xf0\x9f\x98\x80 "
		       "&#x1F600;&#233;</Key><Size>3</Size></Contents>");
	ck_assert_int_eq(list(doc, &p), 0);
	ck_assert_uint_eq(p.n, 3);
	expect_item(&p, 0, "a\rb\tc\nd", 1, 0, false);
	expect_item(&p, 1, "x<&>y'\"", 2, 0, false);
	expect_item(&p, 2, "\xf0\x9f\x98\x80 \xf0\x9f\x98\x80\xc3\xa9", 3, 0,
		    false);
	s3xml_list_free(&p);
	free(doc);

	/* An ISO-8859-1 document comes out as UTF-8. */
	ck_assert_int_eq(
		list("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>"
		     "<ListBucketResult><Contents><Key>\xe9</Key><Size>1</Size>"
		     "</Contents></ListBucketResult>",
		     &p),
		0);
	expect_item(&p, 0, "\xc3\xa9", 1, 0, false);
	s3xml_list_free(&p);
}
END_TEST

START_TEST(test_list_order_many)
{
	struct s3_list_page p;
	size_t i, off = 0, cap = 1000 * 96 + 64;
	char *body = malloc(cap), *doc;
	char key[32];

	ck_assert_ptr_nonnull(body);
	/* Descending input, prefixes and objects interleaved. */
	for (i = 1000; i-- > 0;) {
		if (i % 3 == 0)
			off += (size_t)snprintf(
				body + off, cap - off,
				"<CommonPrefixes><Prefix>k%04zu/"
				"</Prefix></CommonPrefixes>",
				i);
		else
			off += (size_t)snprintf(body + off, cap - off,
						"<Contents><Key>k%04zu</Key>"
						"<Size>%zu</Size></Contents>",
						i, i);
		ck_assert_uint_lt(off, cap);
	}
	doc = list_doc(body);
	ck_assert_int_eq(list(doc, &p), 0);
	ck_assert_uint_eq(p.n, 1000);
	for (i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), i % 3 == 0 ? "k%04zu/" : "k%04zu",
			 i);
		expect_item(&p, i, key, i % 3 == 0 ? 0 : i, 0, i % 3 == 0);
	}
	s3xml_list_free(&p);
	free(doc);
	free(body);
}
END_TEST

START_TEST(test_list_object_and_prefix)
{
	struct s3_list_page p;
	char *doc;

	/* The same name as a prefix and an object: both, object first. */
	doc = list_doc("<CommonPrefixes><Prefix>d/</Prefix></CommonPrefixes>"
		       "<Contents><Key>d/</Key><Size>0</Size></Contents>"
		       "<Contents><Key>d</Key><Size>1</Size></Contents>");
	ck_assert_int_eq(list(doc, &p), 0);
	ck_assert_uint_eq(p.n, 3);
	expect_item(&p, 0, "d", 1, 0, false);
	expect_item(&p, 1, "d/", 0, 0, false);
	expect_item(&p, 2, "d/", 0, 0, true);
	s3xml_list_free(&p);
	free(doc);
}
END_TEST

START_TEST(test_list_bad_values)
{
	static const char *const bodies[] = {
		/* Size */
		"<Contents><Key>a</Key><Size>-1</Size></Contents>",
		"<Contents><Key>a</Key><Size>1e3</Size></Contents>",
		"<Contents><Key>a</Key><Size></Size></Contents>",
		"<Contents><Key>a</Key><Size> 5</Size></Contents>",
		"<Contents><Key>a</Key><Size>0x10</Size></Contents>",
		"<Contents><Key>a</Key><Size>18446744073709551616</Size>"
		"</Contents>",
		"<Contents><Key>a</Key><Size>99999999999999999999999</Size>"
		"</Contents>",
		"<Contents><Key>a</Key></Contents>",
		"<Contents><Key>a</Key><Size>1</Size><Size>1</Size></Contents>",
		/* Key */
		"<Contents><Size>1</Size></Contents>",
		"<Contents><Key></Key><Size>1</Size></Contents>",
		"<Contents><Key/><Size>1</Size></Contents>",
		"<Contents><Key>a</Key><Key>b</Key><Size>1</Size></Contents>",
		"<Contents><Key>a<b/></Key><Size>1</Size></Contents>",
		"<Contents><Key>a</Key><Size>1</Size></Contents>"
		"<Contents><Key>a</Key><Size>2</Size></Contents>",
		/* LastModified */
		"<Contents><Key>a</Key><Size>1</Size>"
		"<LastModified>yesterday</LastModified></Contents>",
		"<Contents><Key>a</Key><Size>1</Size>"
		"<LastModified>2024-01-01T00:00:00+00:00</LastModified>"
		"</Contents>",
		"<Contents><Key>a</Key><Size>1</Size>"
		"<LastModified>2024-01-01T00:00:00Z</LastModified>"
		"<LastModified>2024-01-01T00:00:00Z</LastModified></Contents>",
		/* CommonPrefixes */
		"<CommonPrefixes></CommonPrefixes>",
		"<CommonPrefixes><Prefix></Prefix></CommonPrefixes>",
		"<CommonPrefixes><Prefix>a/</Prefix><Prefix>b/</Prefix>"
		"</CommonPrefixes>",
		"<CommonPrefixes><Prefix>a/</Prefix></CommonPrefixes>"
		"<CommonPrefixes><Prefix>a/</Prefix></CommonPrefixes>",
		/* IsTruncated and the token */
		"<IsTruncated>TRUE</IsTruncated>",
		"<IsTruncated>1</IsTruncated>",
		"<IsTruncated></IsTruncated>",
		"<IsTruncated>false</IsTruncated><IsTruncated>false"
		"</IsTruncated>",
		"<IsTruncated>true</IsTruncated>",
		"<IsTruncated>true</IsTruncated>"
		"<NextContinuationToken></NextContinuationToken>",
		"<NextContinuationToken>a</NextContinuationToken>"
		"<NextContinuationToken>b</NextContinuationToken>",
		"<NextContinuationToken>a<x/></NextContinuationToken>",
	};
	size_t i;

	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++)
		expect_list_body_bad(bodies[i]);
}
END_TEST

START_TEST(test_list_lenient)
{
	struct s3_list_page p;
	char *doc;

	/* Unknown elements anywhere, Key/Size outside Contents, and an
	 * element named Contents deeper down, are all ignored. */
	doc = list_doc("<Foo><Contents><Key></Key></Contents></Foo>"
		       "<Key>x</Key><Size>bad</Size>"
		       "<Contents><Key>a</Key><Size>7</Size><Bar><Size>q</Size>"
		       "</Bar></Contents>"
		       "<NextContinuationToken>t</NextContinuationToken>");
	ck_assert_int_eq(list(doc, &p), 0);
	ck_assert_uint_eq(p.n, 1);
	expect_item(&p, 0, "a", 7, 0, false);
	ck_assert(!p.truncated);
	ck_assert_str_eq(p.next_token, "t");
	s3xml_list_free(&p);
	free(doc);
}
END_TEST

START_TEST(test_list_sizes)
{
	struct s3_list_page p;
	size_t big = 64 * 1024 + 1;
	char *key = malloc(big + 1), *body, *doc;

	ck_assert_ptr_nonnull(key);
	memset(key, 'k', big);
	key[big] = '\0';
	ck_assert_int_ge(asprintf(&body,
				  "<Contents><Key>%s</Key><Size>1</Size>"
				  "</Contents>",
				  key),
			 0);
	expect_list_body_bad(body);
	free(body);

	/* 64 KiB exactly is the most a value may hold. */
	key[big - 1] = '\0';
	ck_assert_int_ge(asprintf(&body,
				  "<Contents><Key>%s</Key><Size>1</Size>"
				  "</Contents>",
				  key),
			 0);
	doc = list_doc(body);
	ck_assert_int_eq(list(doc, &p), 0);
	ck_assert_uint_eq(strlen(p.items[0].key), big - 1);
	s3xml_list_free(&p);
	free(doc);
	free(body);
	free(key);

	/* Long text nobody asked for is fine. */
	doc = malloc(200 * 1024);
	ck_assert_ptr_nonnull(doc);
	memcpy(doc, "<ListBucketResult><Name>", 24);
	memset(doc + 24, 'n', 150 * 1024);
	memcpy(doc + 24 + 150 * 1024, "</Name></ListBucketResult>", 27);
	ck_assert_int_eq(list(doc, &p), 0);
	s3xml_list_free(&p);
	free(doc);

	/* Over the document limit, and a length that is no int. */
	ck_assert_int_eq(s3xml_parse_list(aws_list, (size_t)64 << 20, &p),
			 -EBADMSG);
	ck_assert_int_eq(s3xml_parse_list(aws_list, SIZE_MAX, &p), -EBADMSG);
	ck_assert_int_eq(s3xml_parse_list(NULL, 0, &p), -EBADMSG);
}
END_TEST

START_TEST(test_wrong_root)
{
	struct s3_delete_error *errs;
	char *id;
	size_t n;

	expect_list_bad(aws_error);
	expect_list_bad(aws_upload);
	expect_list_bad(aws_delete);
	expect_list_bad("<ListAllMyBucketsResult " NS "><Buckets/>"
			"</ListAllMyBucketsResult>");
	expect_list_bad("<CopyObjectResult><ETag>x</ETag></CopyObjectResult>");
	expect_list_bad("<html><body>ListBucketResult</body></html>");
	/* A later root would be junk after the document. */
	expect_list_bad("<Foo/><ListBucketResult/>");
	expect_list_bad("<ListBucketResult/><ListBucketResult/>");

	ck_assert_int_eq(s3xml_parse_upload_id(aws_list, strlen(aws_list), &id),
			 -EBADMSG);
	ck_assert_int_eq(
		s3xml_parse_upload_id(aws_error, strlen(aws_error), &id),
		-EBADMSG);
	ck_assert_int_eq(s3xml_parse_delete_result(aws_error, strlen(aws_error),
						   &errs, &n),
			 -EBADMSG);
	ck_assert_int_eq(s3xml_parse_delete_result(
				 aws_upload, strlen(aws_upload), &errs, &n),
			 -EBADMSG);
}
END_TEST

START_TEST(test_not_xml)
{
	static const char *const docs[] = {
		"",
		"hello",
		"{\"ListBucketResult\":{}}",
		"<",
		"<ListBucketResult>",
		"<ListBucketResult></ListBucketResul>",
		"<ListBucketResult><Contents></ListBucketResult>",
		"<ListBucketResult>&bogus;</ListBucketResult>",
		"<ListBucketResult>&#0;</ListBucketResult>",
		"<ListBucketResult>&#1;</ListBucketResult>",
		"<ListBucketResult>\x01</ListBucketResult>",
		"<ListBucketResult>\xff</ListBucketResult>",
		"<ListBucketResult a='1' a='2'/>",
		"<?xml version=\"1.0\" encoding=\"bogus\"?><ListBucketResult/>",
		"<ListBucketResult/>trailing",
	};
	struct s3_delete_error *errs;
	struct s3_list_page p;
	char code[16], msg[16];
	size_t i, n;
	char *id;

	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		expect_list_bad(docs[i]);
		ck_assert_int_eq(s3xml_parse_error(docs[i], strlen(docs[i]),
						   code, sizeof(code), msg,
						   sizeof(msg)),
				 -EBADMSG);
		ck_assert_int_eq(
			s3xml_parse_upload_id(docs[i], strlen(docs[i]), &id),
			-EBADMSG);
		ck_assert_int_eq(s3xml_parse_delete_result(
					 docs[i], strlen(docs[i]), &errs, &n),
				 -EBADMSG);
	}
	/* A NUL inside the buffer is not XML either. */
	ck_assert_int_eq(
		list_len(LIT("<ListBucketResult>\0</ListBucketResult>"), &p),
		-EBADMSG);
}
END_TEST

START_TEST(test_dtd)
{
	static const char *const docs[] = {
		"<!DOCTYPE ListBucketResult><ListBucketResult/>",
		"<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n"
		"<!ENTITY lol \"lol\">\n"
		"<!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
		"<!ENTITY lol2 "
		"\"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
		"<!ENTITY lol3 "
		"\"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
		"]>\n<ListBucketResult><Contents><Key>&lol3;</Key><Size>1"
		"</Size></Contents></ListBucketResult>",
		"<!DOCTYPE x [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>"
		"<ListBucketResult><Contents><Key>&xxe;</Key><Size>1</Size>"
		"</Contents></ListBucketResult>",
		("<!DOCTYPE x SYSTEM \"http://example.com/x.dtd\">"
		 "<ListBucketResult/>"),
	};
	char code[16], msg[16];
	size_t i;

	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		expect_list_bad(docs[i]);
		ck_assert_int_eq(s3xml_parse_error(docs[i], strlen(docs[i]),
						   code, sizeof(code), msg,
						   sizeof(msg)),
				 -EBADMSG);
	}
}
END_TEST

/* <ListBucketResult> with @levels unknown elements nested inside it. */
static char *nested(size_t levels)
{
	const char *open = "<a>", *close = "</a>";
	size_t i, off = 0, len = 40 + levels * 7;
	char *s = malloc(len);

	ck_assert_ptr_nonnull(s);
	off += (size_t)snprintf(s, len, "<ListBucketResult>");
	for (i = 0; i < levels; i++) {
		memcpy(s + off, open, 3);
		off += 3;
	}
	for (i = 0; i < levels; i++) {
		memcpy(s + off, close, 4);
		off += 4;
	}
	snprintf(s + off, len - off, "</ListBucketResult>");
	return s;
}

START_TEST(test_deep_nesting)
{
	struct s3_list_page p;
	char code[8], msg[8];
	char *doc;

	/* Sixteen levels in all is the limit. */
	doc = nested(15);
	ck_assert_int_eq(list(doc, &p), 0);
	s3xml_list_free(&p);
	free(doc);

	doc = nested(16);
	expect_list_bad(doc);
	free(doc);

	doc = nested(200000);
	expect_list_bad(doc);
	/* Error documents are parsed to the end: the limit holds there too. */
	ck_assert_int_eq(s3xml_parse_error(doc, strlen(doc), code, sizeof(code),
					   msg, sizeof(msg)),
			 -EBADMSG);
	free(doc);
}
END_TEST

/* Every proper prefix of every document is an error, never a crash. */
START_TEST(test_truncated)
{
	struct s3_delete_error *errs;
	struct s3_list_page p;
	char code[32], msg[64];
	size_t d, len, n;
	char *copy, *id;

	for (d = 0; d < sizeof(all_docs) / sizeof(all_docs[0]); d++) {
		for (len = 0; len < strlen(all_docs[d]); len++) {
			copy = heap(all_docs[d], len);
			ck_assert_msg(s3xml_parse_list(copy, len, &p) ==
					      -EBADMSG,
				      "doc %zu len %zu", d, len);
			ck_assert_int_eq(s3xml_parse_error(copy, len, code,
							   sizeof(code), msg,
							   sizeof(msg)),
					 -EBADMSG);
			ck_assert_int_eq(s3xml_parse_upload_id(copy, len, &id),
					 -EBADMSG);
			ck_assert_int_eq(
				s3xml_parse_delete_result(copy, len, &errs, &n),
				-EBADMSG);
			free(copy);
		}
	}
}
END_TEST

START_TEST(test_error_doc)
{
	char code[32], msg[64];

	ck_assert_int_eq(s3xml_parse_error(aws_error, strlen(aws_error), code,
					   sizeof(code), msg, sizeof(msg)),
			 0);
	ck_assert_str_eq(code, "NoSuchKey");
	ck_assert_str_eq(msg, "The resource you requested does not exist");

	/* Namespaced, as some servers send it, and escaped. */
	ck_assert_int_eq(
		s3xml_parse_error(LIT("<Error " NS "><Code>A&amp;B</Code>"
				      "<Message>x &lt; y</Message></Error>"),
				  code, sizeof(code), msg, sizeof(msg)),
		0);
	ck_assert_str_eq(code, "A&B");
	ck_assert_str_eq(msg, "x < y");
}
END_TEST

START_TEST(test_error_other_root)
{
	static const char copy[] =
		DECL "<CopyObjectResult><LastModified>2009-10-12T17:50:30.000Z"
		     "</LastModified><ETag>\"9b2cf535f27731c974343645a3985328\""
		     "</ETag></CopyObjectResult>";
	char code[32] = "x", msg[64] = "y";

	ck_assert_int_eq(s3xml_parse_error(copy, strlen(copy), code,
					   sizeof(code), msg, sizeof(msg)),
			 -ENOENT);
	ck_assert_int_eq(s3xml_parse_error(aws_list, strlen(aws_list), code,
					   sizeof(code), msg, sizeof(msg)),
			 -ENOENT);
	/* An <Error> deeper down does not make an Error document. */
	ck_assert_int_eq(
		s3xml_parse_error(
			LIT("<DeleteResult><Error><Code>X</Code></Error>"
			    "</DeleteResult>"),
			code, sizeof(code), msg, sizeof(msg)),
		-ENOENT);
	/* Another root that is malformed further on is not XML. */
	ck_assert_int_eq(s3xml_parse_error(LIT("<CopyObjectResult><ETag>"),
					   code, sizeof(code), msg,
					   sizeof(msg)),
			 -EBADMSG);
}
END_TEST

START_TEST(test_error_truncation)
{
	static const char doc[] =
		"<Error><Code>SlowDown</Code><Message>caf\xc3\xa9 \xe6\x97\xa5"
		"</Message><Code>Later</Code></Error>";
	char code[8], msg[16];

	memset(code, 'Z', sizeof(code));
	ck_assert_int_eq(
		s3xml_parse_error(doc, strlen(doc), code, 5, msg, sizeof(msg)),
		0);
	ck_assert_str_eq(code, "Slow");
	ck_assert_int_eq(code[5], 'Z');
	ck_assert_str_eq(msg, "caf\xc3\xa9 \xe6\x97\xa5");

	/* A cut never splits a UTF-8 sequence. */
	ck_assert_int_eq(
		s3xml_parse_error(doc, strlen(doc), code, sizeof(code), msg, 5),
		0);
	ck_assert_str_eq(msg, "caf");
	ck_assert_int_eq(
		s3xml_parse_error(doc, strlen(doc), code, sizeof(code), msg, 9),
		0);
	ck_assert_str_eq(msg, "caf\xc3\xa9 ");
	ck_assert_int_eq(s3xml_parse_error(doc, strlen(doc), code, 1, msg, 1),
			 0);
	ck_assert_str_eq(code, "");
	ck_assert_str_eq(msg, "");
	/* No buffers at all. */
	ck_assert_int_eq(s3xml_parse_error(doc, strlen(doc), NULL, 0, NULL, 0),
			 0);

	/* Absent fields come back empty. */
	ck_assert_int_eq(s3xml_parse_error(LIT("<Error><RequestId>1</RequestId>"
					       "</Error>"),
					   code, sizeof(code), msg,
					   sizeof(msg)),
			 0);
	ck_assert_str_eq(code, "");
	ck_assert_str_eq(msg, "");
	ck_assert_int_eq(s3xml_parse_error(LIT("<Error/>"), code, sizeof(code),
					   msg, sizeof(msg)),
			 0);
	ck_assert_str_eq(code, "");
}
END_TEST

START_TEST(test_upload_id)
{
	char *id = (char *)"sentinel";

	ck_assert_int_eq(
		s3xml_parse_upload_id(aws_upload, strlen(aws_upload), &id), 0);
	ck_assert_str_eq(id, "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzI"
			     "HVwbG9hZA");
	free(id);

	ck_assert_int_eq(
		s3xml_parse_upload_id(
			LIT("<InitiateMultipartUploadResult><UploadId>2~a&amp;b"
			    "</UploadId></InitiateMultipartUploadResult>"),
			&id),
		0);
	ck_assert_str_eq(id, "2~a&b");
	free(id);

	id = (char *)"sentinel";
	ck_assert_int_eq(
		s3xml_parse_upload_id(
			LIT("<InitiateMultipartUploadResult><Bucket>b"
			    "</Bucket></InitiateMultipartUploadResult>"),
			&id),
		-EBADMSG);
	ck_assert_int_eq(
		s3xml_parse_upload_id(
			LIT("<InitiateMultipartUploadResult><UploadId>"
			    "</UploadId></InitiateMultipartUploadResult>"),
			&id),
		-EBADMSG);
	ck_assert_int_eq(
		s3xml_parse_upload_id(
			LIT("<InitiateMultipartUploadResult><UploadId>a"
			    "</UploadId><UploadId>b</UploadId>"
			    "</InitiateMultipartUploadResult>"),
			&id),
		-EBADMSG);
	ck_assert_str_eq(id, "sentinel");
}
END_TEST

START_TEST(test_delete_result)
{
	struct s3_delete_error *errs = NULL;
	size_t n = 99;

	ck_assert_int_eq(s3xml_parse_delete_result(
				 aws_delete, strlen(aws_delete), &errs, &n),
			 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(errs[0].key, "sample2 & more.txt");
	ck_assert_str_eq(errs[0].code, "AccessDenied");
	ck_assert_str_eq(errs[0].message, "Access Denied");
	ck_assert_str_eq(errs[1].key, "\xc3\xa9.txt");
	ck_assert_str_eq(errs[1].code, "InternalError");
	s3xml_delete_errors_free(errs, n);

	/* Quiet mode with nothing failed. */
	ck_assert_int_eq(s3xml_parse_delete_result(
				 LIT("<DeleteResult " NS "/>"), &errs, &n),
			 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(errs);
	s3xml_delete_errors_free(NULL, 0);

	/* Code and Message may be missing; Key may not. */
	ck_assert_int_eq(s3xml_parse_delete_result(
				 LIT("<DeleteResult><Error><Key>k</Key></Error>"
				     "</DeleteResult>"),
				 &errs, &n),
			 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(errs[0].key, "k");
	ck_assert_str_eq(errs[0].code, "");
	ck_assert_str_eq(errs[0].message, "");
	s3xml_delete_errors_free(errs, n);

	errs = (struct s3_delete_error *)&n;
	n = 99;
	ck_assert_int_eq(
		s3xml_parse_delete_result(
			LIT("<DeleteResult><Error><Code>c</Code></Error>"
			    "</DeleteResult>"),
			&errs, &n),
		-EBADMSG);
	ck_assert_int_eq(
		s3xml_parse_delete_result(
			LIT("<DeleteResult><Error><Key>k</Key><Key>j</Key>"
			    "</Error></DeleteResult>"),
			&errs, &n),
		-EBADMSG);
	ck_assert_int_eq(
		s3xml_parse_delete_result(
			LIT("<DeleteResult><Error><Key>k</Key><Code>a"
			    "</Code><Code>b</Code></Error></DeleteResult>"),
			&errs, &n),
		-EBADMSG);
	ck_assert_ptr_eq(errs, (struct s3_delete_error *)&n);
	ck_assert_uint_eq(n, 99);
}
END_TEST

/*
 * Read the text of each <@tag> of @body back through the list parser:
 * the escaped text goes unchanged into a Key of a ListBucketResult.
 */
static void read_back(const char *body, size_t len, const char *tag,
		      const char *const *want, size_t n)
{
	char open[32], close[32];
	const char *p = body, *end;
	struct s3_list_page pg;
	size_t i;
	char *doc;

	ck_assert_uint_eq(strlen(body), len);
	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	for (i = 0; i < n; i++) {
		p = strstr(p, open);
		ck_assert_ptr_nonnull(p);
		p += strlen(open);
		end = strstr(p, close);
		ck_assert_ptr_nonnull(end);
		/* Nothing a parser would normalise is left raw. */
		ck_assert_ptr_null(memchr(p, '\r', (size_t)(end - p)));
		ck_assert_ptr_null(memchr(p, '<', (size_t)(end - p)));
		ck_assert_int_ge(asprintf(&doc,
					  "<ListBucketResult><Contents><Key>"
					  "%.*s</Key><Size>0</Size></Contents>"
					  "</ListBucketResult>",
					  (int)(end - p), p),
				 0);
		ck_assert_int_eq(list(doc, &pg), 0);
		ck_assert_uint_eq(pg.n, 1);
		ck_assert_str_eq(pg.items[0].key, want[i]);
		s3xml_list_free(&pg);
		free(doc);
		p = end;
	}
	ck_assert_ptr_null(strstr(p, open));
}

START_TEST(test_delete_body)
{
	static const char *const keys[] = {
		"a&b<c>d\"e'f",
		"snap 1/\xc3\xa9\xe6\x97\xa5\xf0\x9f\x98\x80.dat",
		"cr\rlf\ntab\tdel\x7f",
		"]]>",
	};
	const char *one[] = {"k"};
	char *body = NULL;
	size_t len = 0;

	ck_assert_int_eq(s3xml_delete_body(one, 1, &body, &len), 0);
	ck_assert_str_eq(body, "<Delete><Quiet>true</Quiet><Object><Key>k"
			       "</Key></Object></Delete>");
	ck_assert_uint_eq(len, strlen(body));
	free(body);

	ck_assert_int_eq(s3xml_delete_body(keys, 4, &body, &len), 0);
	ck_assert_ptr_nonnull(strstr(body, "<Key>a&amp;b&lt;c&gt;d&quot;e&apos;"
					   "f</Key>"));
	ck_assert_ptr_nonnull(strstr(body, "<Key>]]&gt;</Key>"));
	read_back(body, len, "Key", keys, 4);
	free(body);
}
END_TEST

START_TEST(test_delete_body_limits)
{
	static const char *const bad[] = {
		"",
		"ctl\x01",
		"esc\x1b",
		"nul\x7f\x1f",
		"\xff",
		"\xc3",		    /* truncated sequence */
		"\xc0\x80",	    /* overlong NUL */
		"\xe0\x80\xaf",	    /* overlong '/' */
		"\xed\xa0\x80",	    /* surrogate */
		"\xef\xbf\xbe",	    /* U+FFFE */
		"\xef\xbf\xbf",	    /* U+FFFF */
		"\xf4\x90\x80\x80", /* > U+10FFFF */
		"\x80",
	};
	const char **keys = calloc(1001, sizeof(*keys));
	const char *two[2] = {"ok", NULL};
	char *body = (char *)"sentinel";
	size_t i, len = 7;

	ck_assert_ptr_nonnull(keys);
	for (i = 0; i < 1001; i++)
		keys[i] = "k";
	ck_assert_int_eq(s3xml_delete_body(keys, 0, &body, &len), -EINVAL);
	ck_assert_int_eq(s3xml_delete_body(keys, 1001, &body, &len), -EINVAL);
	ck_assert_int_eq(s3xml_delete_body(NULL, 1, &body, &len), -EINVAL);
	ck_assert_int_eq(s3xml_delete_body(two, 2, &body, &len), -EINVAL);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		two[1] = bad[i];
		ck_assert_msg(s3xml_delete_body(two, 2, &body, &len) == -EINVAL,
			      "key %zu", i);
	}
	ck_assert_str_eq(body, "sentinel");
	ck_assert_uint_eq(len, 7);

	ck_assert_int_eq(s3xml_delete_body(keys, 1000, &body, &len), 0);
	ck_assert_uint_eq(len, strlen("<Delete><Quiet>true</Quiet></Delete>") +
				       1000 * strlen("<Object><Key>k</Key>"
						     "</Object>"));
	free(body);
	free(keys);
}
END_TEST

START_TEST(test_complete_body)
{
	static const char *const etags[] = {
		"\"a54357aff0632cce46d942af68356b38\"",
		"\"0c78aef83f66abc1fa1e8477f296d394\"",
		"\"acbd18db4cc2f85cedef654fccc4a4d8-3\"",
	};
	const char **many = calloc(10001, sizeof(*many));
	char *body = (char *)"sentinel";
	size_t i, len = 7;

	ck_assert_int_eq(s3xml_complete_body(etags, 3, &body, &len), 0);
	ck_assert_str_eq(
		body, "<CompleteMultipartUpload>"
		      "<Part><PartNumber>1</PartNumber><ETag>&quot;"
		      "a54357aff0632cce46d942af68356b38&quot;</ETag></Part>"
		      "<Part><PartNumber>2</PartNumber><ETag>&quot;"
		      "0c78aef83f66abc1fa1e8477f296d394&quot;</ETag></Part>"
		      "<Part><PartNumber>3</PartNumber><ETag>&quot;"
		      "acbd18db4cc2f85cedef654fccc4a4d8-3&quot;</ETag></Part>"
		      "</CompleteMultipartUpload>");
	ck_assert_uint_eq(len, strlen(body));
	read_back(body, len, "ETag", etags, 3);
	free(body);

	ck_assert_ptr_nonnull(many);
	for (i = 0; i < 10001; i++)
		many[i] = "\"e\"";
	body = (char *)"sentinel";
	ck_assert_int_eq(s3xml_complete_body(many, 0, &body, &len), -EINVAL);
	ck_assert_int_eq(s3xml_complete_body(many, 10001, &body, &len),
			 -EINVAL);
	ck_assert_int_eq(s3xml_complete_body(NULL, 1, &body, &len), -EINVAL);
	many[5] = "bad\x02";
	ck_assert_int_eq(s3xml_complete_body(many, 10, &body, &len), -EINVAL);
	many[5] = NULL;
	ck_assert_int_eq(s3xml_complete_body(many, 10, &body, &len), -EINVAL);
	many[5] = "";
	ck_assert_int_eq(s3xml_complete_body(many, 10, &body, &len), -EINVAL);
	ck_assert_str_eq(body, "sentinel");
	many[5] = "\"e\"";
	ck_assert_int_eq(s3xml_complete_body(many, 10000, &body, &len), 0);
	ck_assert_ptr_nonnull(strstr(body,
				     "<Part><PartNumber>10000</PartNumber>"
				     "<ETag>&quot;e&quot;</ETag></Part>"
				     "</CompleteMultipartUpload>"));
	ck_assert_uint_eq(len, strlen(body));
	free(body);
	free(many);
}
END_TEST

START_TEST(test_parse_time)
{
	static const struct {
		const char *s;
		int64_t t;
	} good[] = {
		{"2026-11-22T04:16:22.000Z", 1795320982},
		{"2026-11-22T04:16:22Z", 1795320982},
		{"2026-11-22T04:16:22.999999999Z", 1795320982},
		{"2026-11-22T04:16:22.5Z", 1795320982},
		{"1970-01-01T00:00:00.000Z", 0},
		{"1969-12-31T23:59:59Z", -1},
		{"2000-02-29T12:00:00Z", 951825600},
		{"2016-12-31T23:59:60Z", 1483228800},
		{"2009-10-12T17:50:30.000Z", 1255369830},
	};
	static const char *const bad[] = {
		"",
		"2026-11-22",
		"2026-11-22T04:16:22",
		"2026-11-22T04:16:22.000",
		"2026-11-22T04:16:22+00:00",
		"2026-11-22T04:16:22.000+00:00",
		"2026-11-22 04:16:22Z",
		"2026-11-22t04:16:22z",
		"2026-11-22T04:16:22.Z",
		"2026-11-22T04:16:22ZZ",
		"2026-11-22T04:16:22Z ",
		" 2026-11-22T04:16:22Z",
		"2026-1-22T04:16:22Z",
		"+2026-11-22T04:16:22Z",
		"2026-13-01T00:00:00Z",
		"2026-00-01T00:00:00Z",
		"2026-11-00T00:00:00Z",
		"2026-11-31T00:00:00Z",
		"2001-02-29T00:00:00Z",
		"1900-02-29T00:00:00Z",
		"2026-11-22T24:00:00Z",
		"2026-11-22T23:60:00Z",
		"2026-11-22T23:59:61Z",
		"Sun, 22 Nov 2026 04:16:22 GMT",
	};
	int64_t t;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		t = 42;
		ck_assert_msg(s3xml_parse_time(good[i].s, &t) == 0, "%s",
			      good[i].s);
		ck_assert_msg(t == good[i].t, "%s: %lld", good[i].s,
			      (long long)t);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t = 42;
		ck_assert_msg(s3xml_parse_time(bad[i], &t) == -EINVAL, "%s",
			      bad[i]);
		ck_assert_int_eq(t, 42);
	}
	ck_assert_int_eq(s3xml_parse_time(NULL, &t), -EINVAL);
}
END_TEST

static Suite *s3xml_suite(void)
{
	Suite *s = suite_create("s3xml");
	TCase *tc;

	tc = tcase_create("list");
	tcase_add_test(tc, test_list_aws);
	tcase_add_test(tc, test_list_swift_s3rver);
	tcase_add_test(tc, test_list_empty);
	tcase_add_test(tc, test_list_namespaces);
	tcase_add_test(tc, test_list_key_text);
	tcase_add_test(tc, test_list_order_many);
	tcase_add_test(tc, test_list_object_and_prefix);
	tcase_add_test(tc, test_list_lenient);
	suite_add_tcase(s, tc);

	tc = tcase_create("hostile");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_list_bad_values);
	tcase_add_test(tc, test_list_sizes);
	tcase_add_test(tc, test_wrong_root);
	tcase_add_test(tc, test_not_xml);
	tcase_add_test(tc, test_dtd);
	tcase_add_test(tc, test_deep_nesting);
	tcase_add_test(tc, test_truncated);
	suite_add_tcase(s, tc);

	tc = tcase_create("other documents");
	tcase_add_test(tc, test_error_doc);
	tcase_add_test(tc, test_error_other_root);
	tcase_add_test(tc, test_error_truncation);
	tcase_add_test(tc, test_upload_id);
	tcase_add_test(tc, test_delete_result);
	suite_add_tcase(s, tc);

	tc = tcase_create("bodies");
	tcase_add_test(tc, test_delete_body);
	tcase_add_test(tc, test_delete_body_limits);
	tcase_add_test(tc, test_complete_body);
	suite_add_tcase(s, tc);

	tc = tcase_create("time");
	tcase_add_test(tc, test_parse_time);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(s3xml_suite)
