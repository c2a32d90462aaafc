#define BOOST_TEST_MODULE snapshot
#include <boost/test/unit_test.hpp>
