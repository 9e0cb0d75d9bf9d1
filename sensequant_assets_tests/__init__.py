"""The suite pins a short history through the deployment setting itself (`SENSEQUANT_FIRST_YEAR`),
here, before anything can load the partitions (they read it at import), and for every process a
test starts: the suite's runs cover 2022 on, as they always did. The default (2016) is for the
demo and real deployments; the tests of the setting build their own partitions and resources."""

import os

TEST_FIRST_YEAR = 2022
os.environ["SENSEQUANT_FIRST_YEAR"] = str(TEST_FIRST_YEAR)
