"""A corpus of classifiers written by other people, rebuilt as factories (random weights, weights=None).

Each factory names its origin (the page it was rebuilt from). Code written for tf.keras 2 is rebuilt with
tf_keras, code written for Keras 3 with keras. Where the source leaves a size or a count open, the comment
says what was chosen. tests/corpus/cases.py says which are correct and which rule each buggy one must earn.
"""

from __future__ import annotations

import keras
import tf_keras

L, T = keras.layers, tf_keras.layers


# ---------------------------------------------------------------- correct models

def keras_io_mnist_convnet():
    # https://keras.io/examples/vision/mnist_convnet/
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        L.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        L.MaxPooling2D(pool_size=(2, 2)),
        L.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        L.MaxPooling2D(pool_size=(2, 2)),
        L.Flatten(),
        L.Dropout(0.5),
        L.Dense(10, activation="softmax"),
    ])
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


def alshawwaf_mnist_cnn():
    # https://learn.ai.alshawwaf.ca/lesson/s3_03/step/2
    model = tf_keras.Sequential([
        T.Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)),
        T.MaxPooling2D((2, 2)),
        T.Conv2D(64, (3, 3), activation="relu"),
        T.MaxPooling2D((2, 2)),
        T.Flatten(),
        T.Dense(128, activation="relu"),
        T.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def keithmattix_mnist_mlp():
    # https://github.com/keithmattix/mnist (Deep Learning with Python's first network)
    network = tf_keras.models.Sequential()
    network.add(T.Dense(512, activation="relu", input_shape=(28 * 28,)))
    network.add(T.Dense(10, activation="softmax"))
    network.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    return network


def keras_io_forda_timeseries():
    # https://tensorflow.rstudio.com/examples/timeseries_classification_from_scratch (keras.io's FordA example)
    input_layer = keras.Input((500, 1))
    x = input_layer
    for _ in range(3):
        x = L.Conv1D(filters=64, kernel_size=3, padding="same")(x)
        x = L.BatchNormalization()(x)
        x = L.ReLU()(x)
    gap = L.GlobalAveragePooling1D()(x)
    output_layer = L.Dense(2, activation="softmax")(gap)
    model = keras.Model(inputs=input_layer, outputs=output_layer)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["sparse_categorical_accuracy"])
    return model


def maukanmir_embedding_cnn():
    # https://github.com/MaukanMir/Deep-Learning-Overfitting-Cook-Book (vocab_size, max_length chosen: 5000, 200)
    model = tf_keras.Sequential()
    model.add(T.Embedding(5000, 100, input_length=200))
    model.add(T.Conv1D(filters=32, kernel_size=8, activation="relu"))
    model.add(T.MaxPooling1D(pool_size=2))
    model.add(T.Flatten())
    model.add(T.Dense(10, activation="relu"))
    model.add(T.Dense(1, activation="sigmoid"))
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


def pythonkb_text_cnn():
    # https://pythonkb.com/?p=10012 (input_dim, input_length, num_classes chosen: 5000, 100, 4; no compile shown)
    model = tf_keras.Sequential()
    model.add(T.Embedding(5000, 100, input_length=100))
    model.add(T.Conv1D(128, 5, activation="relu"))
    model.add(T.GlobalMaxPooling1D())
    model.add(T.Dense(64, activation="relu"))
    model.add(T.Dense(4, activation="softmax"))
    return model


def techwithtim_text_classification():
    # https://www.techwithtim.net/tutorials/python-neural-networks/text-classification-p2/
    model = tf_keras.Sequential()
    model.add(T.Embedding(88000, 16, input_length=250))
    model.add(T.GlobalAveragePooling1D())
    model.add(T.Dense(16, activation="relu"))
    model.add(T.Dense(1, activation="sigmoid"))
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


def budhiraja_cifar10_cnn():
    # https://anitabudhiraja.github.io/DeepLearning/theory_practical4.html (no compile shown)
    return tf_keras.Sequential([
        T.Conv2D(32, (3, 3), activation="relu", input_shape=(32, 32, 3)),
        T.MaxPooling2D((2, 2)),
        T.Conv2D(64, (3, 3), activation="relu"),
        T.MaxPooling2D((2, 2)),
        T.Flatten(),
        T.Dense(64, activation="relu"),
        T.Dense(10, activation="softmax"),
    ])


def keras_io_3d_ct_scans():
    # https://keras.io/examples/vision/3D_image_classification/
    inputs = keras.Input((128, 128, 64, 1))
    x = L.Conv3D(filters=64, kernel_size=3, activation="relu")(inputs)
    x = L.MaxPool3D(pool_size=2)(x)
    x = L.BatchNormalization()(x)
    x = L.Conv3D(filters=64, kernel_size=3, activation="relu")(x)
    x = L.MaxPool3D(pool_size=2)(x)
    x = L.BatchNormalization()(x)
    x = L.Conv3D(filters=128, kernel_size=3, activation="relu")(x)
    x = L.MaxPool3D(pool_size=2)(x)
    x = L.BatchNormalization()(x)
    x = L.Conv3D(filters=256, kernel_size=3, activation="relu")(x)
    x = L.MaxPool3D(pool_size=2)(x)
    x = L.BatchNormalization()(x)
    x = L.GlobalAveragePooling3D()(x)
    x = L.Dense(units=512, activation="relu")(x)
    x = L.Dropout(0.3)(x)
    outputs = L.Dense(units=1, activation="sigmoid")(x)
    model = keras.Model(inputs, outputs, name="3dcnn")
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["acc"])
    return model


def syncfusion_heart_disease():
    # https://www.syncfusion.com/succinctly-free-ebooks/keras-succinctly/binary-classification (18-(10-10)-1)
    model = tf_keras.models.Sequential()
    model.add(T.Dense(units=10, input_dim=18, activation="tanh"))
    model.add(T.Dense(units=10, activation="tanh"))
    model.add(T.Dense(units=1, activation="sigmoid"))
    model.compile(loss="binary_crossentropy", optimizer="sgd", metrics=["accuracy"])
    return model


def metesahankurt_heart_mlp():
    # https://heart.metesahankurt.cloud/docs/architecture (dropout rate chosen: 0.3)
    model = keras.Sequential([
        keras.Input((13,)),
        L.Dense(64, activation="relu"), L.Dropout(0.3),
        L.Dense(32, activation="relu"), L.Dropout(0.3),
        L.Dense(16, activation="relu"), L.Dropout(0.3),
        L.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return model


def tensorflow_transfer_learning_mobilenetv2():
    # https://jpdebug.com/p/3045190 (https://www.tensorflow.org/tutorials/images/transfer_learning)
    data_augmentation = tf_keras.Sequential([T.RandomFlip("horizontal"), T.RandomRotation(0.2)])
    base_model = tf_keras.applications.MobileNetV2(input_shape=(160, 160, 3), include_top=False, weights=None)
    base_model.trainable = False
    inputs = tf_keras.Input(shape=(160, 160, 3))
    x = data_augmentation(inputs)
    x = T.Rescaling(1.0 / 127.5, offset=-1)(x)  # what mobilenet_v2.preprocess_input computes
    x = base_model(x, training=False)
    x = T.GlobalAveragePooling2D()(x)
    x = T.Dropout(0.2)(x)
    outputs = T.Dense(1)(x)
    model = tf_keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss=tf_keras.losses.BinaryCrossentropy(from_logits=True), metrics=["accuracy"])
    return model


def pullrequest_vgg16_sigmoid_fix():
    # http://pullrequest.ru/13403374/prognozirovanie-tolko-odnogo-klassa (the answer's model)
    base_model = tf_keras.applications.VGG16(weights=None, include_top=False)
    x = base_model.output
    x = T.GlobalAveragePooling2D()(x)
    x = T.Dense(1024, activation="relu")(x)
    x = T.Dense(1024, activation="relu")(x)
    x = T.Dense(512, activation="relu")(x)
    preds = T.Dense(1, activation="sigmoid")(x)
    model = tf_keras.Model(inputs=base_model.input, outputs=preds)
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return model


def elearn_conv_dense_flatten_fix():
    # https://www.e-learn.cn/topic/1369359 (the answer: Flatten between the convolution and Dense)
    input_layer = tf_keras.Input(shape=(100, 100, 3))
    x = T.Conv2D(32, (3, 3), activation="relu")(input_layer)
    x = T.Flatten()(x)
    x = T.Dense(256, activation="relu")(x)
    x = T.Dense(10, activation="softmax")(x)
    model = tf_keras.Model(inputs=[input_layer], outputs=[x])
    model.compile(loss="categorical_crossentropy", optimizer="sgd")
    return model


def iiask_maxpool_fix():
    # https://www.iiask.com/34l56514.html (method 1: the architecture that keeps the map from vanishing)
    return tf_keras.Sequential([
        T.Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)),
        T.MaxPooling2D((2, 2)),
        T.Conv2D(64, (3, 3), activation="relu", padding="same"),
        T.MaxPooling2D((2, 2)),
        T.Flatten(),
        T.Dense(128, activation="relu"),
        T.Dense(10, activation="softmax"),
    ])


def theneuralbase_gap_head():
    # https://theneuralbase.com/keras/learn/intermediate/globalaveragepooling2d-head/
    model = keras.Sequential([
        keras.Input((224, 224, 3)),
        L.Conv2D(32, 3, activation="relu"),
        L.MaxPooling2D(2),
        L.Conv2D(64, 3, activation="relu"),
        L.MaxPooling2D(2),
        L.Conv2D(128, 3, activation="relu"),
        L.GlobalAveragePooling2D(),
        L.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def taourl_64px_cnn():
    # https://taourl.com/read-3991266.html (the model builds: Keras floors 29 / 2 to 14)
    model = tf_keras.Sequential()
    model.add(T.Conv2D(32, (3, 3), activation="relu", input_shape=(64, 64, 3)))
    model.add(T.MaxPooling2D((2, 2)))
    model.add(T.Conv2D(64, (3, 3), activation="relu"))
    model.add(T.MaxPooling2D((2, 2)))
    model.add(T.Flatten())
    model.add(T.Dense(128, activation="relu"))
    model.add(T.Dense(10, activation="softmax"))
    return model


def geeksforgeeks_functional_mnist():
    # https://www.geeksforgeeks.org/applying-convolutional-neural-network-on-mnist-dataset/
    inpx = tf_keras.Input(shape=(28, 28, 1))
    layer1 = T.Conv2D(32, kernel_size=(3, 3), activation="relu")(inpx)
    layer2 = T.Conv2D(64, (3, 3), activation="relu")(layer1)
    layer3 = T.MaxPooling2D(pool_size=(3, 3))(layer2)
    layer4 = T.Dropout(0.5)(layer3)
    layer5 = T.Flatten()(layer4)
    layer6 = T.Dense(250, activation="sigmoid")(layer5)
    layer7 = T.Dense(10, activation="softmax")(layer6)
    model = tf_keras.Model([inpx], layer7)
    model.compile(optimizer="adadelta", loss=tf_keras.losses.categorical_crossentropy, metrics=["accuracy"])
    return model


def nemotron_lstm_timeseries():
    # https://huggingface.co/datasets/nvidia/Nemotron-CC-Math-v1 ("Time Series Classification with Keras")
    model = tf_keras.Sequential()
    model.add(T.LSTM(50, input_shape=(10, 1)))
    model.add(T.Dense(10, activation="relu"))
    model.add(T.Dense(3, activation="softmax"))
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def tarikbilla_flatten_fix():
    # https://tarikbilla.com/what-is-the-role-of-flatten-in-keras (the answer: Flatten first; a regression)
    model = tf_keras.Sequential()
    model.add(T.Flatten(input_shape=(3, 2)))
    model.add(T.Dense(16))
    model.add(T.Activation("relu"))
    model.add(T.Dense(4))
    model.compile(loss="mean_squared_error", optimizer="SGD")
    return model


def openillumi_flatten_dense_reshape():
    # https://openillumi.com/?p=67236 (a (13, 13, 1024) map regressed to (4, 10) boxes)
    model = tf_keras.Sequential()
    model.add(T.Flatten(input_shape=(13, 13, 1024)))
    model.add(T.Dense(4 * 10))
    model.add(T.Reshape((4, 10)))
    model.compile(loss="mse", optimizer="adam")
    return model


def keras_functional_api_tickets():
    # https://laserphotonics.uk/?m=202102 (the Keras functional API guide: three inputs, two outputs)
    num_tags, num_words, num_departments = 12, 10000, 4
    title_input = keras.Input(shape=(None,), name="title")
    body_input = keras.Input(shape=(None,), name="body")
    tags_input = keras.Input(shape=(num_tags,), name="tags")
    title_features = L.LSTM(128)(L.Embedding(num_words, 64)(title_input))
    body_features = L.LSTM(32)(L.Embedding(num_words, 64)(body_input))
    x = L.concatenate([title_features, body_features, tags_input])
    priority_pred = L.Dense(1, name="priority")(x)
    department_pred = L.Dense(num_departments, name="department")(x)
    model = keras.Model(inputs=[title_input, body_input, tags_input], outputs=[priority_pred, department_pred])
    model.compile(optimizer="rmsprop", loss=[keras.losses.BinaryCrossentropy(from_logits=True),
                                             keras.losses.CategoricalCrossentropy(from_logits=True)],
                  loss_weights=[1.0, 0.2])
    return model


def kaushkay_multi_input_multi_output():
    # https://github.com/kaushkay/Multi-input-and-multi-output-models (Keras 2's headline/retweets example)
    main_input = tf_keras.Input(shape=(100,), dtype="int32", name="main_input")
    x = T.Embedding(output_dim=512, input_dim=1000, input_length=100)(main_input)
    lstm_out = T.LSTM(32)(x)
    auxiliary_output = T.Dense(1, activation="sigmoid", name="aux_output")(lstm_out)
    auxiliary_input = tf_keras.Input(shape=(5,), name="aux_input")
    x = T.concatenate([lstm_out, auxiliary_input])
    x = T.Dense(64, activation="relu")(x)
    x = T.Dense(64, activation="relu")(x)
    x = T.Dense(64, activation="relu")(x)
    main_output = T.Dense(1, activation="sigmoid", name="main_output")(x)
    model = tf_keras.Model(inputs=[main_input, auxiliary_input], outputs=[main_output, auxiliary_output])
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", loss_weights=[1.0, 0.2])
    return model


def keras_functional_api_mlp():
    # https://keras.io/getting-started/functional-api-guide/ (first example)
    inputs = tf_keras.Input(shape=(784,))
    x = T.Dense(64, activation="relu")(inputs)
    x = T.Dense(64, activation="relu")(x)
    predictions = T.Dense(10, activation="softmax")(x)
    model = tf_keras.Model(inputs=inputs, outputs=predictions)
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def tmajayi_reuters_mlp():
    # https://github.com/tmajayi/data_science_projects (Reuters, 46 topics)
    model = tf_keras.Sequential()
    model.add(T.Dense(512, input_shape=(1000,), activation="relu"))
    model.add(T.Dropout(0.5))
    model.add(T.Dense(46, activation="softmax"))
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


def brianspiering_reuters_mlp():
    # https://github.com/brianspiering/deep_text_classification (after keras/examples/reuters_mlp.py)
    model = tf_keras.Sequential()
    model.add(T.Dense(512, input_shape=(1000,)))
    model.add(T.Activation("relu"))
    model.add(T.Dropout(0.5))
    model.add(T.Dense(46))
    model.add(T.Activation("softmax"))
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


def kaggle_bilstm_pooled():
    # http://news.datascience.org.ua/2018/12/19/what-kagglers-are-using-for-text-classification/
    # (maxlen, max_features, embed_size chosen: 70, 50000, 300; LSTM for the GPU-only CuDNNLSTM)
    inp = tf_keras.Input(shape=(70,))
    x = T.Embedding(50000, 300)(inp)
    x = T.Bidirectional(T.LSTM(64, return_sequences=True))(x)
    avg_pool = T.GlobalAveragePooling1D()(x)
    max_pool = T.GlobalMaxPooling1D()(x)
    conc = T.concatenate([avg_pool, max_pool])
    conc = T.Dense(64, activation="relu")(conc)
    conc = T.Dropout(0.1)(conc)
    outp = T.Dense(1, activation="sigmoid")(conc)
    model = tf_keras.Model(inputs=inp, outputs=outp)
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


def oreilly_bidirectional_lstm():
    # https://www.oreilly.com/library/view/advanced-deep-learning/9781789538779/03c51aed-0cf7-4fad-826b-219650e13e14.xhtml
    # (R keras; the same layers in Python, on token sequences of any length)
    model = keras.Sequential([
        keras.Input((None,), dtype="int32"),
        L.Embedding(input_dim=500, output_dim=32),
        L.Bidirectional(L.LSTM(units=32)),
        L.Dense(units=1, activation="sigmoid"),
    ])
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["acc"])
    return model


def dlwp_reuters():
    # https://github.com/therealcrowder/deepLearningWithPython (Deep Learning with Python, Reuters newswires)
    model = tf_keras.models.Sequential()
    model.add(T.Dense(64, activation="relu", input_shape=(10000,)))
    model.add(T.Dense(64, activation="relu"))
    model.add(T.Dense(46, activation="softmax"))
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    return model



# backbones inlined layer by layer (x = base_model.output; ...; Model(base_model.input, out)), whole classifiers
# and maps pooled to 1×1: the backbone is read from the graph, not from a nested model

def dsse_mobilenet_gap_inlined():
    # https://datascience.stackexchange.com/questions/80072/is-flatten-layer-in-keras-necessary (the first example)
    base_model = tf_keras.applications.MobileNet(weights=None, include_top=False)
    x = base_model.output
    x = T.GlobalAveragePooling2D()(x)
    x = T.Dense(1024, activation="relu")(x)
    x = T.Dense(1024, activation="relu")(x)
    x = T.Dense(512, activation="relu")(x)
    preds = T.Dense(3, activation="softmax")(x)
    model = tf_keras.Model(inputs=base_model.input, outputs=preds)
    model.compile(optimizer="Adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def hoang_ho_densenet_gmp_inlined():
    # https://github.com/hoang-ho/Skin_Lesions_Classification_DCNNs/pull/1 (the input size is left open: 224x224)
    pre_trained_model = tf_keras.applications.DenseNet121(input_shape=(224, 224, 3), include_top=False, weights=None)
    last_output = pre_trained_model.get_layer("relu").output
    x = T.GlobalMaxPooling2D()(last_output)
    x = T.Dense(512, activation="relu")(x)
    x = T.Dropout(0.5)(x)
    x = T.Dense(7, activation="softmax")(x)
    model = tf_keras.Model(pre_trained_model.input, x)
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["acc"])
    return model


def packt_vgg16_pseudo_inlined():
    # https://m.novel.qq.com/read/1036698975/57 (VGG16_pseudo, "The VGG16 transfer learning network")
    model = tf_keras.applications.VGG16(weights=None, include_top=False)
    x = model.output
    x = T.GlobalAveragePooling2D()(x)
    x = T.Dense(512, activation="relu")(x)
    x = T.Dropout(0.5)(x)
    x = T.Dense(512, activation="relu")(x)
    x = T.Dropout(0.5)(x)
    out = T.Dense(5, activation="softmax")(x)
    model_final = tf_keras.Model(inputs=model.input, outputs=out)
    model_final.compile(optimizer="adam", loss="categorical_crossentropy")
    return model_final


def pyimagesearch_mask_detector_pooled_map():
    # https://pyimagesearch.com/2020/05/04/covid-19-face-mask-detector-with-opencv-keras-tensorflow-and-deep-learning/
    # AveragePooling2D(7, 7) on the 7x7 map leaves a (N, 1, 1, 1280) map: flattening it is right
    baseModel = tf_keras.applications.MobileNetV2(weights=None, include_top=False,
                                                  input_tensor=T.Input(shape=(224, 224, 3)))
    headModel = baseModel.output
    headModel = T.AveragePooling2D(pool_size=(7, 7))(headModel)
    headModel = T.Flatten(name="flatten")(headModel)
    headModel = T.Dense(128, activation="relu")(headModel)
    headModel = T.Dropout(0.5)(headModel)
    headModel = T.Dense(2, activation="softmax")(headModel)
    model = tf_keras.Model(inputs=baseModel.input, outputs=headModel)
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


def keras_io_resnet50_imagenet():
    # https://keras.io/api/applications/ ("Classify ImageNet classes with ResNet50"): a whole classifier
    return keras.applications.ResNet50(weights=None)


# ---------------------------------------------------------------- buggy models, with the bug the source names

def dsse_sigmoid_categorical():
    # https://datascience.stackexchange.com/questions/91069/the-sum-of-multi-class-prediction-is-not-1-using-tensorflow-and-keras
    # "To get the summation in the last layer to be one, you need to use Softmax activation not Sigmoid"
    # (vocab_size chosen: 5000)
    model = tf_keras.Sequential([
        T.Embedding(5000, 50, trainable=False, input_length=100),
        T.LSTM(128),
        T.Dense(4, activation="sigmoid")])
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=tf_keras.metrics.categorical_accuracy)
    return model


def techfeed_binary_cnn_softmax():
    # https://techfeed.net/es/456718/ ("Why does a binary Keras CNN always predict 1?": softmax over one unit)
    model = tf_keras.Sequential()
    model.add(T.Conv1D(input_shape=(10, 4), filters=16, kernel_size=4, padding="same"))
    model.add(T.BatchNormalization())
    model.add(T.LeakyReLU())
    model.add(T.Dropout(0.2))
    model.add(T.Conv1D(filters=8, kernel_size=4, padding="same"))
    model.add(T.BatchNormalization())
    model.add(T.LeakyReLU())
    model.add(T.Dropout(0.2))
    model.add(T.Flatten())
    model.add(T.Dense(64))
    model.add(T.BatchNormalization())
    model.add(T.LeakyReLU())
    model.add(T.Dense(1))
    model.add(T.Activation("softmax"))
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


def stackoverflow_binary_vs_categorical():
    # https://stackoverflow.com/questions/42081257/why-binary-crossentropy-and-categorical-crossentropy-give-different-performances
    # (the embedding layer and the topic count are not shown: 20000 words of 100 dims, 1000 tokens, 8 topics)
    model = tf_keras.Sequential()
    model.add(T.Embedding(20000, 100, input_length=1000))
    model.add(T.Dropout(0.25))
    model.add(T.Conv1D(filters=32, kernel_size=4, padding="valid", activation="relu"))
    model.add(T.MaxPooling1D(pool_size=2))
    model.add(T.Flatten())
    model.add(T.Dense(256))
    model.add(T.Dropout(0.25))
    model.add(T.Activation("relu"))
    model.add(T.Dense(8))
    model.add(T.Activation("softmax"))
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


def pullrequest_vgg16_softmax_one_unit():
    # http://pullrequest.ru/13403374/prognozirovanie-tolko-odnogo-klassa ("with one output unit softmax
    # always outputs 1"; the question's model, before the answer's sigmoid)
    base_model = tf_keras.applications.VGG16(weights=None, include_top=False)
    x = T.GlobalAveragePooling2D()(base_model.output)
    x = T.Dense(1024, activation="relu")(x)
    x = T.Dense(1024, activation="relu")(x)
    x = T.Dense(512, activation="relu")(x)
    preds = T.Dense(1, activation="softmax")(x)
    model = tf_keras.Model(inputs=base_model.input, outputs=preds)
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return model


def elearn_conv_dense_no_flatten():
    # https://www.e-learn.cn/topic/1369359 ("How does data shape change during Conv2D and Dense in Keras?":
    # without Flatten, Dense keeps the rows and columns and the target must be 4-D)
    input_layer = tf_keras.Input(shape=(100, 100, 3))
    x = T.Conv2D(32, (3, 3), activation="relu")(input_layer)
    x = T.Dense(256, activation="relu")(x)
    x = T.Dense(10, activation="softmax")(x)
    model = tf_keras.Model(inputs=[input_layer], outputs=[x])
    model.compile(loss="categorical_crossentropy", optimizer="sgd")
    return model


def elearn_channels_first_input():
    # https://www.e-learn.cn/qa/answer/389272/1161311.html ("Negative dimension size caused by subtracting
    # 3 from 1": (1, 28, 28) images read as channels_last; the rest of the model is not shown: a Flatten head)
    model = keras.Sequential([
        keras.Input((1, 28, 28)),
        L.Conv2D(32, (3, 3), activation="relu"),
        L.Conv2D(64, (3, 3), activation="relu"),
        L.Flatten(),
        L.Dense(10, activation="softmax"),
    ])
    model.compile(loss="categorical_crossentropy", optimizer="adam")
    return model


def python19633_softmax_one_unit_sparse():
    # https://python.19633.com/cs/python-tag-9/Keras-9/1009048621.html ("Dense(1, activation='softmax')":
    # one neuron with sparse_categorical_crossentropy; the layers before it are not shown: an MLP on 8 features)
    model = keras.Sequential([keras.Input((8,)), L.Dense(32, activation="relu"), L.Dense(1, activation="softmax")])
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam")
    return model


def example_a_mse_softmax():
    # https://example-a.com/answer/66908204 ("Can I use MSE as loss function ... in classification problem?")
    network = tf_keras.models.Sequential()
    network.add(T.Dense(512, activation="relu", input_shape=(28 * 28,)))
    network.add(T.Dense(10, activation="softmax"))
    network.compile(optimizer="rmsprop", loss="mean_squared_error", metrics=["accuracy"])
    return network


def dsse_mnist_one_sigmoid_unit():
    # https://datascience.stackexchange.com/questions/38604/too-low-accuracy-on-mnist-dataset-using-a-neural-network
    # (ten digits through one sigmoid unit: "accuracy approx. 11%")
    model = tf_keras.Sequential()
    model.add(T.Dense(64, activation="relu", input_shape=(784,)))
    model.add(T.Dense(1, activation="sigmoid"))
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


def deeplearningai_sign_language_three_units():
    # https://community.deeplearning.ai/t/can-not-achieve-desired-accuracy/436298 ("Your NN has 3 output
    # units": Sign Language MNIST has 26 letters; convolutions 32 -> 64, Dense 256 as the post lists)
    model = tf_keras.Sequential([
        T.Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)),
        T.MaxPooling2D(2, 2),
        T.Conv2D(64, (3, 3), activation="relu"),
        T.MaxPooling2D(2, 2),
        T.Flatten(),
        T.Dense(256, activation="relu"),
        T.Dense(3, activation="softmax"),
    ])
    model.compile(optimizer=tf_keras.optimizers.Adam(learning_rate=0.001), loss="sparse_categorical_crossentropy")
    return model


def tarikbilla_dense_without_flatten():
    # https://tarikbilla.com/what-is-the-role-of-flatten-in-keras (the question: Dense on (3, 2) without Flatten
    # is applied "independently for each of" the 3 steps, so the model returns (None, 3, 4))
    model = tf_keras.Sequential()
    model.add(T.Dense(16, input_shape=(3, 2)))
    model.add(T.Activation("relu"))
    model.add(T.Dense(4))
    model.compile(loss="mean_squared_error", optimizer="SGD")
    return model


def mmsankosho_return_sequences_dense():
    # https://mmsankosho.com/en/how-to-build-a-bidirectional-lstm-model-with-keras/ ("if the LSTM layer has
    # return_sequences=True, it cannot connect directly to the Dense layer"; vocabulary 60, 40 steps chosen)
    model = tf_keras.Sequential()
    model.add(T.Embedding(61, 300, input_length=40, mask_zero=True, trainable=False))
    model.add(T.Bidirectional(T.LSTM(512, dropout=0.15, return_sequences=True), merge_mode="concat"))
    model.add(T.Dense(61, activation="softmax"))
    return model


def openillumi_vgg16_flatten_fixed_size():
    # https://openillumi.com/en/en-keras-vgg16-transfer-learning-input-size-fix ("the fully-connected layers
    # expect a specific, fixed flattened input size based on 224x224 input")
    base_model = keras.applications.VGG16(weights=None, include_top=False, input_shape=(224, 224, 3))
    model = keras.Sequential([base_model, L.Flatten(), L.Dense(256, activation="relu"), L.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    return model


def dailyblog_conv_dense_four_dimensions():
    # https://daily-blog.netlify.app/questions/2419757/ ("expected dense_2 to have 4 dimensions, but got array with
    # shape (100, 10)": Dense on the Conv2D map, no Flatten)
    input_layer = T.Input(shape=(100, 100, 3))
    x = T.Conv2D(32, (3, 3), activation="relu")(input_layer)
    x = T.Dense(256, activation="relu")(x)
    x = T.Dense(10, activation="softmax")(x)
    model = tf_keras.Model(inputs=[input_layer], outputs=[x])
    model.compile(loss="categorical_crossentropy", optimizer="sgd")
    return model


def taourl_binary_head_for_ten_classes():
    # https://taourl.com/read-2372283.html ("fine-tuning a binary-classification CNN for a 10-class problem without
    # adjusting the output layer"; its GlobalAveragePooling2D(base_model.output) typo written as meant)
    base_model = tf_keras.applications.VGG16(weights=None, include_top=False, input_shape=(224, 224, 3))
    x = T.GlobalAveragePooling2D()(base_model.output)
    output = T.Dense(1, activation="sigmoid")(x)
    return tf_keras.Model(inputs=base_model.input, outputs=output)
