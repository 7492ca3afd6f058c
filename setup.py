"""Installs the pipeline packages; the pinned dependency set lives in requirements.lock."""

import setuptools

setuptools.setup(
    name="tfx-text-pipelines",
    version="0.1.0",
    description="TFX pipelines for the text and sequence models of DLwP chapter 6 (IMDB, Jena).",
    python_requires="==3.10.*",
    packages=setuptools.find_packages(
        include=["cli*", "components*", "core*", "kubeflow*", "pipeline*", "rawdata*", "serving*",
                 "trainer*", "transform*"]
    ),
    install_requires=[
        "tfx[kfp]==1.16.0",
        "tensorflow==2.16.2",
        "tensorflow-transform==1.16.0",
        "tensorflow-model-analysis==0.47.1",
        "tensorflow-data-validation==1.16.1",
        "apache-beam[gcp]==2.59.0",
        "tf-keras==2.16.0",
        "tensorflow-serving-api==2.16.1",
        "dill",
    ],
    # Real-server files `tfx-text serve` reads (a plain `pip install .`, as the image does), and
    # the curated schemas and checks the pipeline validates data with.
    package_data={"serving": ["deploy/*"], "components": ["schemas/*.pbtxt"]},
    entry_points={"console_scripts": ["tfx-text=cli.main:main"]},
)
