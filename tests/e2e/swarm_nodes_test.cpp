#define BOOST_TEST_MODULE e2e_swarm_nodes
#include <boost/test/unit_test.hpp>
