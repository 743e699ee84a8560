/* test_err.c -- the error space and its wire mapping. */
#include "lsn_test.h"

#include <string.h>

#include "wire.pb-c.h"

static void
test_err_every_code_has_text(void **state)
{
	(void) state;
	for (int e = 0; e >= -70; e--) {
		const char *s = lsn_strerror(e);
		assert_non_null(s);
		if (strcmp(lsn_errname(e), "LSN_E?") != 0)
			assert_string_not_equal(s, "unknown error");
	}
	assert_string_equal(lsn_strerror(12345), "unknown error");
}

static void
test_err_wire_numbers_match_proto(void **state)
{
	const ProtobufCEnumDescriptor *d = &liaison__v1__error_code__descriptor;

	(void) state;
	/* Every proto ErrorCode maps to a known lsn_err and back. */
	for (unsigned i = 0; i < d->n_values; i++) {
		int code = d->values[i].value;
		int err = lsn_err_from_wire(code);
		assert_int_equal(err, -code);
		assert_string_not_equal(lsn_errname(err), "LSN_E?");
		assert_int_equal(lsn_err_to_wire(err), code);
	}
	/* And every named lsn_err exists in the proto. */
	for (int e = 0; e >= -70; e--) {
		if (strcmp(lsn_errname(e), "LSN_E?") == 0)
			continue;
		assert_non_null(protobuf_c_enum_descriptor_get_value(d, -e));
	}
	assert_int_equal(lsn_err_from_wire(9999), LSN_EPROTO);
	assert_int_equal(lsn_err_from_wire(-1), LSN_EPROTO);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_err_every_code_has_text),
		cmocka_unit_test(test_err_wire_numbers_match_proto),
	};
	return (cmocka_run_group_tests_name("err", tests, NULL, NULL));
}
